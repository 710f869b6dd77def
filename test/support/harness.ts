import { randomBytes, randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { SANDBOX_IDENTITY } from '../../src/sandbox/sandbox-credentials.js';
import { parseLimitOverrides } from '../../src/sandbox/sandbox-runtime.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startApi, type ApiServer } from '../../src/api/api-server.js';
import { startWorkers, type WorkerRuntime } from '../../src/worker/worker-runtime.js';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import type { FaultRule } from '../../src/sandbox/framework/faults.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import { clusterNodesOf, createRedis, type RedisClient } from '../../src/shared/redis.js';
import { buildRequest } from './factories.js';
import { sandboxAdmin } from './sandbox-admin.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Harness {
  api: string;
  sandbox: RunningSandbox;
  config: Config;
  /** The environment the harness's config was loaded from (for a worker started as a child process). */
  env: Record<string, string>;
  tokens: { admin: string; viewer: string };
  /** The queue prefix every key starts with (on a cluster the hash-tagged one, `{t…}`). */
  prefix: string;
  /** The test's own connection to the harness's Redis (a cluster's, with REDIS_CLUSTER_NODES). */
  redis: RedisClient;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  provision(overrides?: Partial<ProvisionRequest>): Promise<{ status: number; body: any }>;
  getRun(runId: string): Promise<any>;
  waitForRun(runId: string, states: string[], timeoutMs?: number): Promise<any>;
  sandboxState(): Promise<any>;
  sandboxCalls(): Promise<any[]>;
  addFaults(rules: FaultRule[]): Promise<void>;
  clearFaults(): Promise<void>;
  /** Starts (again) the worker, e.g. after stopping it. */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The environment of the worker and API, or a function of the sandbox's URL giving it (to point a
 * provider "for real" at the sandbox, e.g. with a wrong token). The sandbox itself starts first, so
 * with a function its own settings (SANDBOX_TIME_SCALE, SANDBOX_RATE_LIMITS) are the defaults.
 * With REDIS_CLUSTER_NODES (and a REDIS_URL lending its password) it runs on a Redis Cluster.
 */
export type HarnessEnv = Record<string, string> | ((sandboxUrl: string) => Record<string, string>);

export async function startHarness(
  envOrFn: HarnessEnv = {},
  options: { worker?: boolean; logs?: string[] } = {},
): Promise<Harness> {
  const sandboxEnv = typeof envOrFn === 'function' ? {} : envOrFn;
  const timeScale = sandboxEnv.SANDBOX_TIME_SCALE ?? '0.01';
  const sandbox = await startSandbox({
    port: 0,
    databaseUrl: DATABASE_URL,
    timeScale: Number(timeScale),
    rateLimits: sandboxEnv.SANDBOX_RATE_LIMITS === 'on',
    profile: sandboxEnv.SANDBOX_PROFILE === 'realistic' ? 'realistic' : 'fast',
    limits: parseLimitOverrides(sandboxEnv.SANDBOX_LIMITS ? JSON.parse(sandboxEnv.SANDBOX_LIMITS) : {}),
    logger: pino({ level: 'silent' }),
    emulators: EMULATORS,
  });
  const env = typeof envOrFn === 'function' ? envOrFn(sandbox.url) : envOrFn;
  const tokens = { admin: randomBytes(18).toString('base64url'), viewer: randomBytes(18).toString('base64url') };
  const configEnv: Record<string, string> = {
    REDIS_URL,
    DATABASE_URL,
    SANDBOX_URL: sandbox.url,
    // The workers' rate budgets follow the sandbox's time-scaled windows.
    SANDBOX_TIME_SCALE: timeScale,
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    PORT: '0',
    API_TOKENS: `admin:${tokens.admin},viewer:${tokens.viewer}`,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '20',
    STEP_BACKOFF_MS: '50',
    STEP_ATTEMPTS: '4',
    COMPENSATION_ATTEMPTS: '5',
    // Generous: under load the sandbox's Supabase delete drops a real database, which can take seconds.
    PROVIDER_TIMEOUT_MS: '10000',
    SUPABASE_READY_TIMEOUT_MS: '20000',
    // Tests and the benchmark post many runs with one token; the write limit has its own test.
    API_WRITE_LIMIT: '100000',
    ...env,
  };
  const config = loadConfig({ roles: ['api', 'worker'], sandbox: SANDBOX_IDENTITY }, configEnv);
  const prefix = config.queuePrefix;
  const logger = options.logs
    ? pino({ level: 'debug' }, { write: (line: string) => void options.logs!.push(line) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let worker: WorkerRuntime | undefined = options.worker === false ? undefined : await startWorkers(config, logger);
  const apiServer: ApiServer = await startApi(config, logger, '127.0.0.1');
  const redis = clusterNodesOf(config) ? createRedis(config, 'worker') : new Redis(REDIS_URL);

  const request: Harness['request'] = async (method, path, opts = {}) => {
    const token = opts.token === undefined ? tokens.admin : opts.token;
    const res = await fetch(`${apiServer.url}${path}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined
        ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (the dashboard's HTML)
    }
    return { status: res.status, body, headers: res.headers };
  };
  const admin = sandboxAdmin(sandbox.url);

  const h: Harness = {
    api: apiServer.url,
    sandbox,
    config,
    env: configEnv,
    tokens,
    prefix,
    redis,
    request,
    provision: (overrides) => request('POST', '/api/provisioning', { body: buildRequest(overrides) }),
    getRun: async (runId) => (await request('GET', `/api/provisioning/${runId}`)).body,
    async waitForRun(runId, states, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < deadline) {
        last = await h.getRun(runId);
        if (states.includes(last?.state)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `run ${runId} did not reach ${states.join('|')} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    },
    sandboxState: admin.state,
    sandboxCalls: admin.calls,
    addFaults: admin.addFaults,
    clearFaults: admin.clearFaults,
    async startWorker() {
      worker ??= await startWorkers(config, logger);
    },
    async stopWorker() {
      await worker?.close();
      worker = undefined;
    },
    async close() {
      await apiServer.close();
      await worker?.close();
      for (const e of sandbox.emulators) await e.reset();
      await sandbox.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
  return h;
}

/** Deletes every key under a test's prefix (never anything else: Redis is shared). */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  for (const server of await serversOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${scanPattern(prefix)}:*`, 'COUNT', 500);
      cursor = next;
      // One by one: keys found on one node of a cluster may still lie in different slots.
      if (keys.length) await Promise.all(keys.map((k) => server.del(k)));
    } while (cursor !== '0');
  }
}

/** The servers that hold keys: the one server, or every master of a cluster. */
export async function serversOf(redis: RedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await new Promise((ready) => redis.once('ready', ready));
  return redis.nodes('master');
}

/** A prefix as a literal in a SCAN pattern (`{` `}` are literal there, `[`, `*`, `?` are not). */
const scanPattern = (prefix: string) => prefix.replace(/[[\]*?\\]/g, (c) => `\\${c}`);

/** Everything the sandbox holds for one client, by derived name. */
export function resourcesOf(state: any, clientId: string) {
  const id = clientId.toLowerCase();
  return {
    supabase: (state.supabase?.projects ?? []).filter((p: any) => p.name === `client-${id}`),
    github: (state.github?.repos ?? []).filter((r: any) => r.name === `client-${id}-app`),
    vercel: (state.vercel?.projects ?? []).filter((p: any) => p.name === `client-${id}-app`),
    n8n: (state.n8n?.workflows ?? []).filter((w: any) => String(w.name).startsWith(`Client ${id} - `)),
    gitea: (state.gitea?.files ?? []).filter((f: any) => f.path === `${id}/n8n-workflow.json`),
  };
}

export type ResourceCounts = Record<keyof ReturnType<typeof resourcesOf>, number>;
/** How many resources of each provider the sandbox holds for one client (by derived name). */
export function resourceCounts(state: any, clientId: string): ResourceCounts {
  const mine = resourcesOf(state, clientId);
  return {
    supabase: mine.supabase.length,
    github: mine.github.length,
    vercel: mine.vercel.length,
    n8n: mine.n8n.length,
    gitea: mine.gitea.length,
  };
}
/** A provisioned client: exactly one of each resource. */
export const ONE_OF_EACH: ResourceCounts = { supabase: 1, github: 1, vercel: 1, n8n: 1, gitea: 1 };
/** A rolled-back client: nothing left at any provider. */
export const NONE_LEFT: ResourceCounts = { supabase: 0, github: 0, vercel: 0, n8n: 0, gitea: 0 };
