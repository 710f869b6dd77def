import express, { type Request, type Response, type NextFunction } from 'express';
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
import { exchangeOf, type SandboxExchange } from './exchange-report.js';
import { BadJson, send, sleep, toSandboxRequest } from './http-exchange.js';
import { bringUp, startGate } from './sandbox-startup.js';
import { closeWorld, openWorld, type WorldOptions } from './world-lifecycle.js';

export type { SandboxExchange } from './exchange-report.js';

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
  /** Keep the world in Postgres under this instance (world-lifecycle.ts); absent: in memory only. */
  world?: WorldOptions;
}

export interface RunningSandbox {
  url: string;
  faults: FaultBook;
  calls: CallLog;
  emulators: ProviderEmulator[];
  /** The instance whose world this sandbox keeps in Postgres; undefined in memory. */
  instance: string | undefined;
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

  const world = await openWorld(options.databaseUrl, options.world);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Held until the stored world is loaded: a restarting sandbox must not answer 404 for what it still holds.
  const gate = startGate();
  app.use((_req, _res, next) => void gate.opened.then(() => next()));
  app.use(express.raw({ type: () => true, limit: '5mb' }));

  const { server, url, emulators } = await bringUp(app, options, host, world, (publicUrl) =>
    options.emulators.map((make) => make({ runtime, databaseUrl: options.databaseUrl, publicUrl, world })),
  );

  app.use(
    '/_sandbox',
    adminRoutes({ emulators, faults, calls, rateLimits: options.rateLimits, limits, profile, world }),
  );

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
          await world.flush();
          record(0, fault);
          return void req.socket.destroy();
        default: {
          const r = await op.handler(sreq);
          // Stored before it is answered: what a client was told survives a crash or restart.
          await world.flush();
          return answer(r);
        }
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
    options.onExchange?.(exchangeOf(emulator.name, operationId, req, res, r));
  }

  function latencyOf(latency: NonNullable<OperationDef['latencyMs']>): number {
    return runtime.scale(typeof latency === 'number' ? latency : draw(latency));
  }

  gate.open();
  return {
    url,
    faults,
    calls,
    emulators,
    instance: options.world?.instance,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeWorld(world, emulators, options.world);
      for (const e of emulators) await e.close?.();
    },
  };
}

function rateLimited(emulator: ProviderEmulator): SandboxResponse {
  const r = emulator.errorResponse(429, 'Too Many Requests (sandbox fault)');
  return { ...r, headers: { 'retry-after': '1', ...r.headers } };
}
