import { mkdirSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sandboxAdmin, type SandboxAdmin } from '../test/support/sandbox-admin.js';
import type { ProvisionRequest } from '../src/shared/provision-request.js';
import { startCallbacks, type Callbacks } from './callbacks.js';
import { freePort, startChild, tail, waitUntil, type Child, type Runtime } from './processes.js';
import { SANDBOX_CREDENTIALS } from '../src/sandbox/sandbox-credentials.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface StackOptions {
  label: string;
  workers: number;
  concurrency: number;
  timeScale: number;
  profile: 'fast' | 'realistic';
  rateLimits: boolean;
  logLevel: string;
  /** How the product's processes run: compiled, as in production (after npm run build), or under tsx (the default). */
  runtime?: Runtime;
  /** More settings for the API and workers (POLL_INTERVAL_MS, ...). */
  env?: Record<string, string>;
  /** A Redis of the caller's own (chaos restarts it); the machine's REDIS_URL otherwise. */
  redisUrl?: string;
}

/**
 * One product, as it is deployed, on this machine: the sandbox, the API and N worker
 * processes, with a queue prefix of their own (deleted at the end) and free loopback ports.
 */
export interface Stack {
  options: StackOptions;
  prefix: string;
  apiUrl: string;
  sandboxUrl: string;
  sandbox: SandboxAdmin & { rateLimits(): Promise<RateLimitReport> };
  workers: Child[];
  redis: Redis;
  /** The environment every process of the stack was started with (for more workers started elsewhere). */
  env: Record<string, string>;
  /** Where the processes' logs are. */
  logDir: string;
  /** One call to the API with the admin token; the body parsed. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Deletes every Supabase project the sandbox holds (each is a real database), a few at a time. */
  deleteProjects(): Promise<void>;
  /** Starts one more worker process and waits until it takes jobs. */
  addWorker(): Promise<void>;
  /** POSTs a run; `postedAt` is taken just before the request is sent. */
  post(request: ProvisionRequest): Promise<{ runId: string; postedAt: number }>;
  /** Resolves once every run is final (by callback, or by a poll when one is slow to come). */
  waitAll(runIds: string[], timeoutMs: number): Promise<void>;
  view(runId: string): Promise<RunView>;
  close(): Promise<void>;
}

export interface RateLimitReport {
  total: number;
  answers: { provider: string; operationId: string; rule: string; status: number; count: number }[];
  limits: Record<string, any>;
}

export interface StepView {
  name: string;
  state: string;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  rateLimit?: { waitedMs: number };
}
export interface RunView {
  runId: string;
  clientId: string;
  state: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: { code: string; message: string; step?: string };
  steps: StepView[];
}

/** An environment with nothing of the caller's (no live credential can slip in): loopback only. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const prefix = `bench${randomUUID().slice(0, 8)}`;
  const logDir = join(tmpdir(), `cp-bench-${prefix}`);
  mkdirSync(logDir, { recursive: true });
  const [sandboxPort, apiPort] = [await freePort(), await freePort()];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const token = randomBytes(24).toString('base64url');
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const env: Record<string, string> = {
    ...baseEnv(),
    REDIS_URL: redisUrl,
    DATABASE_URL,
    PROVIDERS: 'sandbox',
    QUEUE_PREFIX: prefix,
    API_TOKENS: `admin:${token}`,
    // The benchmark posts hundreds of runs at once with one token: no per-token write limit.
    API_WRITE_LIMIT: '100000',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // The bench learns that a run ended from its signed callback; without a secret none is sent
    // and waitAll falls back to polling ten runs every ten seconds.
    CALLBACK_SECRET: randomBytes(24).toString('base64url'),
    LOG_LEVEL: options.logLevel,
    SANDBOX_HOST: '127.0.0.1',
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_URL: sandboxUrl,
    SANDBOX_TIME_SCALE: String(options.timeScale),
    SANDBOX_RATE_LIMITS: options.rateLimits ? 'on' : 'off',
    SANDBOX_PROFILE: options.profile,
    // A fresh world every time: a benchmark or chaos run must not find the last one's resources
    // (clients of the same seed have the same names), nor leave its own in the developer's sandbox.
    SANDBOX_STATE: 'memory',
    PORT: String(apiPort),
    WORKER_CONCURRENCY: String(options.concurrency),
    ...options.env,
  };
  const runtime = options.runtime ?? 'tsx';
  const children: Child[] = [];
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  let callbacks: Callbacks | undefined;
  const close = async () => {
    // Workers first (they finish their active jobs), then the API, then the sandbox (it drops its databases).
    await Promise.all(children.filter((c) => c.name.startsWith('worker')).map((c) => c.stop()));
    await children.find((c) => c.name === 'api')?.stop();
    // The sandbox drops every project database when it stops, all at once; delete them a few at a
    // time first, so that the shared Postgres never sees hundreds of connections.
    const sandbox = children.find((c) => c.name === 'sandbox');
    if (sandbox && !sandbox.exited()) await deleteProjects(sandboxUrl).catch(() => undefined);
    await sandbox?.stop(180_000);
    await callbacks?.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  };
  try {
    const sandboxChild = startChild('sandbox', 'src/sandbox/main.ts', env, logDir, runtime);
    children.push(sandboxChild);
    const admin = sandboxAdmin(sandboxUrl);
    await waitUntil('sandbox', async () => (await fetch(`${sandboxUrl}/_sandbox/faults`)).ok, sandboxChild);

    const workers = Array.from({ length: options.workers }, (_, i) =>
      startChild(`worker-${i + 1}`, 'src/worker/main.ts', env, logDir, runtime),
    );
    children.push(...workers);
    const api = startChild('api', 'src/api/main.ts', env, logDir, runtime);
    children.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const workersReady = async (expected: Child[]) => {
      const connection = redis.duplicate();
      const queue = new Queue('provision', { connection, prefix });
      try {
        await waitUntil('workers', async () => {
          const down = expected.find((w) => w.exited());
          if (down) throw new Error(`${down.name} exited:\n${tail(down.log)}`);
          return (await queue.getWorkersCount()) >= expected.length;
        });
      } finally {
        await queue.close();
        connection.disconnect();
      }
    };
    await waitUntil('api', async () => (await fetch(`${apiUrl}/readyz`)).ok, api);
    await workersReady(workers);
    callbacks = await startCallbacks();
    const cb = callbacks;

    const api$ = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const view = async (runId: string) => (await api$('GET', `/api/provisioning/${runId}`)).body as RunView;

    return {
      options,
      prefix,
      apiUrl,
      sandboxUrl,
      workers,
      redis,
      env,
      logDir,
      request: api$,
      sandbox: {
        ...admin,
        rateLimits: async () => (await (await fetch(`${sandboxUrl}/_sandbox/rate-limits`)).json()) as RateLimitReport,
      },
      deleteProjects: () => deleteProjects(sandboxUrl),
      async addWorker() {
        const worker = startChild(`worker-${workers.length + 1}`, 'src/worker/main.ts', env, logDir, runtime);
        workers.push(worker);
        children.push(worker);
        await workersReady(workers);
      },
      async post(request) {
        const postedAt = Date.now();
        const res = await api$('POST', '/api/provisioning', { ...request, callbackUrl: cb.url });
        if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${JSON.stringify(res.body)}`);
        return { runId: res.body.runId as string, postedAt };
      },
      async waitAll(runIds, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        const all = Promise.all(runIds.map((id) => cb.final(id)));
        let done = false;
        void all.then(() => (done = true));
        while (!done) {
          if (Date.now() > deadline) {
            const left = runIds.filter((id) => !cb.seen(id));
            throw new Error(`${left.length} of ${runIds.length} runs not final after ${timeoutMs} ms`);
          }
          await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
          // Callbacks are best effort: look at a few runs still open, in case theirs was lost.
          for (const id of runIds.filter((r) => !cb.seen(r)).slice(0, 10)) cb.settle(id, (await view(id)).state);
          for (const c of children) if (c.exited()) throw new Error(`${c.name} exited during the run`);
        }
      },
      view,
      close,
    };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}

/** Deletes every Supabase project the sandbox holds through its API, four at a time (each drops a database). */
async function deleteProjects(sandboxUrl: string): Promise<void> {
  const state = (await (await fetch(`${sandboxUrl}/_sandbox/state`)).json()) as {
    supabase?: { projects?: { ref: string }[] };
  };
  const refs = (state.supabase?.projects ?? []).map((p) => p.ref);
  const next = async (): Promise<void> => {
    const ref = refs.pop();
    if (!ref) return;
    await fetch(`${sandboxUrl}/supabase/v1/projects/${ref}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` },
    }).catch(() => undefined);
    return next();
  };
  await Promise.all([next(), next(), next(), next()]);
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Bytes Redis holds for the keys under `prefix` (MEMORY USAGE of each). */
export async function prefixMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipe = redis.pipeline();
    for (const k of batch) pipe.memory('USAGE', k, 'SAMPLES', '0');
    for (const [, v] of (await pipe.exec()) ?? []) bytes += Number(v ?? 0);
    keys += batch.length;
  } while (cursor !== '0');
  return { bytes, keys };
}

/** INFO memory's used_memory, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
