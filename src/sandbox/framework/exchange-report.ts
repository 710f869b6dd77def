import type { Request, Response } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderName } from '../../shared/providers.js';
import type { SandboxResponse } from './emulator.types.js';
import { BadJson, parseJson } from './http-exchange.js';

/** One answered request as the emulator received it, and its answer as sent. */
export interface SandboxExchange {
  provider: ProviderName;
  /** The official operationId, or `unknown` for a route the emulator does not serve. */
  operationId: string;
  method: string;
  /** The path after the provider prefix, still URL-encoded. */
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  response: { status: number; headers: Record<string, string>; body: unknown };
}

/** The request as received and the answer as sent (contract tests record the traffic with it). */
export function exchangeOf(
  provider: ProviderName,
  operationId: string,
  req: Request,
  res: Response,
  r: SandboxResponse,
): SandboxExchange {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const parsed = parseJson(raw);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URL(req.originalUrl, 'http://sandbox').searchParams) {
    const seen = query[k];
    query[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  const headers = Object.fromEntries(
    Object.entries(res.getHeaders()).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
  );
  return {
    provider,
    operationId,
    method: req.method,
    path: req.path,
    query,
    headers: req.headers,
    body: parsed instanceof BadJson ? raw.toString('utf8') : parsed,
    response: { status: r.status, headers, body: r.body },
  };
}
