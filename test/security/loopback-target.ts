/**
 * What the outbound tests aim at: an HTTP server on 127.0.0.1 that counts every connection made
 * to it (so a test can show that nothing reached it), and a record of every socket this process
 * tries to open (so a test can show that nothing was even attempted towards a refused address).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Target {
  port: number;
  connections: number;
  requests: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}

export async function startTarget(
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 }),
): Promise<Target> {
  const target: Target = { port: 0, connections: 0, requests: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      target.requests.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      const a = answer(req);
      res.writeHead(a.status, a.headers).end();
    });
  });
  server.on('connection', () => (target.connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  target.port = (server.address() as AddressInfo).port;
  target.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return target;
}

/** Records the host of every socket connection attempted until `stop()`. */
export function recordConnectAttempts(): { hosts: string[]; stop(): void } {
  const hosts: string[] = [];
  type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
  const original = net.Socket.prototype.connect as Connect;
  net.Socket.prototype.connect = function recordingConnect(this: net.Socket, ...args: unknown[]) {
    const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const host = first && typeof first === 'object' ? (first as { host?: unknown }).host : args[1];
    hosts.push(typeof host === 'string' ? host : 'localhost');
    return original.apply(this, args);
  };
  return { hosts, stop: () => void (net.Socket.prototype.connect = original) };
}
