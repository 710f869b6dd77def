import type { Request, Response } from 'express';
import type { SandboxRequest, SandboxResponse } from './emulator.types.js';

/** A request body that is not JSON. */
export class BadJson {}

export function parseJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return raw instanceof Buffer ? undefined : raw;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return new BadJson();
  }
}

export function toSandboxRequest(req: Request): SandboxRequest {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.params as Record<string, string | string[]>)) {
    params[k] = Array.isArray(v) ? v.join('/') : v;
  }
  const query: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.query))
    query[k] = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  return {
    method: req.method,
    path: req.path,
    params,
    query,
    headers: req.headers,
    ip: req.socket.remoteAddress ?? 'unknown',
    body: parseJson(req.body),
  };
}

export function send(res: Response, r: SandboxResponse): void {
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  if (r.body === undefined) return void res.status(r.status).end();
  if (typeof r.body === 'string') return void res.status(r.status).send(r.body);
  res.status(r.status).json(r.body);
}

export const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
