import express, { type Request, type Response, type NextFunction } from 'express';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderName } from '../../shared/providers.js';
import type { Logger } from '../../shared/logger.js';
import { resolveLimits, type LimitOverrides } from '../sandbox-limits.js';
import { PROFILE_DELAYS, draw, type SandboxProfile } from '../sandbox-profiles.js';
import { adminRoutes } from './admin-routes.js';
import { CallLog } from './call-log.js';
import { FaultBook, TRANSPORT_FAULTS, type TransportFault } from './faults.js';
import type {
  EmulatorFactory,
  EmulatorRuntime,
  OperationDef,
  ProviderEmulator,
  SandboxResponse,
} from './emulator.types.js';
import { BadJson, parseJson, send, sleep, toSandboxRequest } from './http-exchange.js';

export interface SandboxOptions {
  port: number;
  host?: string;
  databaseUrl: string;
  timeScale: number;
  /** Whether the providers' rate limits are enforced. */
  rateLimits: boolean;
  /** Overrides of the documented limits (sandbox-limits.ts), rule by rule. */
  limits?: LimitOverrides;
  /** `fast` (default) or `realistic` provider delays (sandbox-profiles.ts). */
  profile?: SandboxProfile;
  logger: Logger;
  emulators: EmulatorFactory[];
  /** The URL others reach the sandbox at, when it differs from the bound address (0.0.0.0 in a container). */
  publicUrl?: string;
  /** Called with every answered request (contract tests record the traffic with it). */
  onExchange?: (exchange: SandboxExchange) => void;
}

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

export interface RunningSandbox {
  url: string;
  faults: FaultBook;
  calls: CallLog;
  emulators: ProviderEmulator[];
  close(): Promise<void>;
}

/** How long a `timeout` fault holds a request before dropping it (before scaling). */
const TIMEOUT_HOLD_MS = 120_000;

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultBook();
  const calls = new CallLog();
  const profile = options.profile ?? 'fast';
  const limits = resolveLimits(options.limits);
  const scale = (ms: number) => Math.max(0, Math.round(ms * options.timeScale));
  const runtime: EmulatorRuntime = {
    scale,
    now: () => Date.now(),
    rateLimits: options.rateLimits,
    limits,
    profile,
    delay: (name) => scale(draw(PROFILE_DELAYS[profile][name])),
    takeFault: (provider, operationId, fault) => faults.take(provider, operationId, [fault]) !== undefined,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.raw({ type: () => true, limit: '5mb' }));

  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 calls back with the error too (EADDRINUSE), not only on success.
    const s = app.listen(options.port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  const emulators = options.emulators.map((make) => make({ runtime, databaseUrl: options.databaseUrl, publicUrl }));

  app.use('/_sandbox', adminRoutes({ emulators, faults, calls, rateLimits: options.rateLimits, limits, profile }));

  for (const emulator of emulators) {
    const router = express.Router();
    for (const op of emulator.operations) {
      const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      router[method](op.path, (req, res) => void serve(emulator, op, req, res));
    }
    router.use((req, res) => {
      const r = emulator.errorResponse(404, 'Not Found');
      calls.add({
        provider: emulator.name,
        operationId: 'unknown',
        method: req.method,
        path: `${emulator.prefix}${req.path}`,
        status: r.status,
        at: new Date().toISOString(),
      });
      send(res, r);
      reportExchange(emulator, 'unknown', req, res, r);
    });
    app.use(emulator.prefix, router);
  }
  app.use((_req, res) => void res.status(404).json({ error: 'no such sandbox route' }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    options.logger.error({ err }, 'sandbox error');
    if (!res.headersSent) res.status(500).json({ error: 'sandbox internal error' });
  });

  async function serve(emulator: ProviderEmulator, op: OperationDef, req: Request, res: Response): Promise<void> {
    const sreq = toSandboxRequest(req);
    const record = (status: number, fault?: string, rateLimited?: string) =>
      calls.add({
        provider: emulator.name,
        operationId: op.operationId,
        method: req.method,
        path: `${emulator.prefix}${req.path}`,
        status,
        ...(fault ? { fault } : {}),
        ...(rateLimited ? { rateLimited } : {}),
        at: new Date().toISOString(),
      });
    try {
      const verdict = emulator.rateLimit?.(sreq, op.operationId);
      if (verdict?.release) res.once('close', verdict.release);
      const common = { ...emulator.commonHeaders?.(sreq), ...verdict?.headers };
      const answer = (r: SandboxResponse, fault?: string, rateLimited?: string) => {
        record(r.status, fault, rateLimited);
        send(res, { ...r, headers: { ...common, ...r.headers } });
        reportExchange(emulator, op.operationId, req, res, r);
      };
      if (verdict?.refused) return answer(verdict.refused.response, undefined, verdict.refused.rule);
      if (!op.public) {
        const denied = emulator.authenticate(sreq);
        if (denied) return answer(denied);
      }
      if (sreq.body instanceof BadJson) {
        return answer(emulator.malformedBody?.() ?? emulator.errorResponse(400, 'malformed JSON body'));
      }
      const rule = faults.take(emulator.name, op.operationId, TRANSPORT_FAULTS);
      const fault = rule?.fault as TransportFault | undefined;
      if (op.latencyMs) await sleep(latencyOf(op.latencyMs));
      switch (fault) {
        case 'http500':
          return answer(emulator.errorResponse(500, 'Internal Server Error (sandbox fault)'), fault);
        case 'http502':
          return answer(emulator.errorResponse(502, 'Bad Gateway (sandbox fault)'), fault);
        case 'http429':
          return answer(rateLimited(emulator), fault);
        case 'http4xx':
          return answer(emulator.errorResponse(rule?.status ?? 400, 'Bad Request (sandbox fault)'), fault);
        case 'reset':
          record(0, fault);
          return void req.socket.destroy();
        case 'timeout': {
          record(0, fault);
          const timer = setTimeout(() => req.socket.destroy(), runtime.scale(TIMEOUT_HOLD_MS));
          req.socket.once('close', () => clearTimeout(timer));
          return;
        }
        case 'lost-response':
          await op.handler(sreq);
          record(0, fault);
          return void req.socket.destroy();
        default:
          return answer(await op.handler(sreq));
      }
    } catch (err) {
      options.logger.error({ err, operationId: op.operationId }, 'emulator handler failed');
      record(500);
      if (!res.headersSent) send(res, emulator.errorResponse(500, 'emulator error'));
    }
  }

  /** Hands the answered exchange to `onExchange`, if any: the request as received, the answer as sent. */
  function reportExchange(
    emulator: ProviderEmulator,
    operationId: string,
    req: Request,
    res: Response,
    r: SandboxResponse,
  ): void {
    if (!options.onExchange) return;
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
    options.onExchange({
      provider: emulator.name,
      operationId,
      method: req.method,
      path: req.path,
      query,
      headers: req.headers,
      body: parsed instanceof BadJson ? raw.toString('utf8') : parsed,
      response: { status: r.status, headers, body: r.body },
    });
  }

  function latencyOf(latency: NonNullable<OperationDef['latencyMs']>): number {
    return runtime.scale(typeof latency === 'number' ? latency : draw(latency));
  }

  return {
    url,
    faults,
    calls,
    emulators,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // State lives in memory and dies with the server: drop what lives outside it too
      // (the Supabase projects' databases).
      for (const e of emulators) await e.reset();
      for (const e of emulators) await e.close?.();
    },
  };
}

function rateLimited(emulator: ProviderEmulator): SandboxResponse {
  const r = emulator.errorResponse(429, 'Too Many Requests (sandbox fault)');
  return { ...r, headers: { 'retry-after': '1', ...r.headers } };
}
