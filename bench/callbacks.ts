import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const FINAL = new Set(['succeeded', 'rolled_back', 'rollback_failed']);

/**
 * Where the bench learns that a run ended: the product's own `callbackUrl` (SPEC 5), on
 * loopback, so that hundreds of runs are not polled through the API while they run.
 */
export interface Callbacks {
  url: string;
  /** Resolves with the run's final state once its callback says it. */
  final(runId: string): Promise<string>;
  /** Whether a final callback came for `runId`. */
  seen(runId: string): boolean;
  /** Marks a run final by other means (a poll, when a best-effort callback was lost). */
  settle(runId: string, state: string): void;
  close(): Promise<void>;
}

export async function startCallbacks(): Promise<Callbacks> {
  const states = new Map<string, string>();
  const waiting = new Map<string, (state: string) => void>();
  const settle = (runId: string, state: string) => {
    if (!FINAL.has(state) || states.has(runId)) return;
    states.set(runId, state);
    waiting.get(runId)?.(state);
    waiting.delete(runId);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { runId?: string; state?: string };
        if (body.runId && body.state) settle(body.runId, body.state);
      } catch {
        // not ours
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/runs`,
    final(runId) {
      const known = states.get(runId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve) => waiting.set(runId, resolve));
    },
    seen: (runId) => states.has(runId),
    settle,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
