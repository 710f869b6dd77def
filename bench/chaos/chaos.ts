import { setTimeout as sleep } from 'node:timers/promises';
import type { RunView } from '../../src/runs/run-view.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import { createSealer } from '../../src/shared/crypto.js';
import { startPrivateRedis } from '../../test/support/private-redis.js';
import type { SandboxCall } from '../../test/support/sandbox-admin.js';
import { startStack, type Stack } from '../stack.js';
import { percentile } from '../stats.js';
import {
  checkInvariants,
  isFinal,
  stepSummary,
  type ClientOutcome,
  type SandboxWorld,
  type Violation,
} from './invariants.js';
import type { ChaosOptions } from './options.js';
import { faultRules, plannedClients, type PlannedClient } from './plan.js';
import { seeded } from './random.js';
import { dumpRedis, openSealed, secretsInClear, stuckStory } from './redis-dump.js';
import { startWorkerPool } from './workers.js';

/**
 * One chaos run (issue 8): N clients posted through the API at once, transient and permanent
 * faults at every provider, worker processes SIGKILLed and started again, the private Redis
 * restarted once; then, once every run is final (or nothing has moved for `quietMs`, or `boundMs`
 * passed), SPEC 4 checked against what the sandbox holds. The chaos driver never does the
 * product's work: it posts, kills, restarts and reads; a run it finds stuck stays stuck.
 */

export interface RunRow {
  clientId: string;
  runId?: string;
  state: string;
  postedAt: string;
  /** POST to the run's final state, when it reached one. */
  durationMs?: number;
  error?: string;
  /** Its changes of state: `hh:mm:ss.mmm from→to (by)`. */
  history?: string;
}

export interface StuckRun {
  runId: string;
  clientId: string;
  state: string;
  steps: string;
  history: string;
  error?: string;
  /** Its record as stored, and each of its jobs (state, attempts, stalls, reason). */
  story: Record<string, unknown>;
}

export interface ChaosResult {
  options: ChaosOptions;
  startedAt: string;
  finishedAt: string;
  endedBy: 'all-final' | 'quiet' | 'bound';
  byState: Record<string, number>;
  faults: { total: number; byKind: Record<string, number>; onDriverReads: number };
  kills: number;
  /** Worker exits nobody asked for (a crash, or a refusal to start while Redis was down). */
  unexpectedWorkerExits: number;
  redisRestarts: number;
  /** When Redis went down: how many runs were final by then, seconds after the first POST. */
  redisRestartAt?: { finalRuns: number; afterS: number };
  /** POSTs answered 503 (Redis down) or not at all, and sent again. */
  postRetries: number;
  secretsChecked: number;
  runTimeMs: { p50: number; p95: number; max: number };
  counts: Record<'duplicates' | 'orphans' | 'lost' | 'stuck' | 'other', number>;
  violations: Violation[];
  stuck: StuckRun[];
  runs: RunRow[];
  logDir: string;
}

/** Undoes what a chaos run started; safe to call twice (a Ctrl-C during the normal clean-up). */
export interface Cleanup {
  add(step: () => Promise<void>): void;
  run(): Promise<void>;
}

export function cleanup(): Cleanup {
  const steps: (() => Promise<void>)[] = [];
  let running: Promise<void> | undefined;
  return {
    add: (step) => void steps.push(step),
    run() {
      running ??= (async () => {
        for (const step of steps.reverse()) await step().catch(() => undefined);
      })();
      return running;
    },
  };
}

const TICK_MS = 1000;
const POST_LANES = 16;

export async function runChaos(o: ChaosOptions, log: (line: string) => void, done: Cleanup): Promise<ChaosResult> {
  const startedAt = new Date();
  const random = seeded(o.seed);
  const clientsPlan = plannedClients(o, random.fork());
  const killRandom = random.fork();
  const restartFraction = random.fork().between(0.3, 0.6);

  log(`private Redis (AOF on)`);
  const redis = await startPrivateRedis();
  done.add(() => redis.destroy());
  const scale = o.timeScale;
  log(`stack: sandbox and API (time scale ${scale}, rate limits ${o.rateLimits ? 'on' : 'off'})`);
  const stack = await startStack({
    label: 'chaos',
    workers: 0,
    concurrency: o.concurrency,
    timeScale: scale,
    profile: 'fast',
    rateLimits: o.rateLimits,
    logLevel: o.logLevel,
    redisUrl: redis.url,
    env: {
      ROLLBACK_ON_FAILURE: 'auto',
      // The product's waits, on the sandbox's time scale (bench/run.ts does the same for the poll).
      POLL_INTERVAL_MS: String(Math.max(10, Math.round(2000 * scale))),
      STEP_BACKOFF_MS: String(Math.max(50, Math.round(2000 * scale))),
      // Under the sandbox's hold of a `timeout` fault (120 s, scaled), so the client gives up first.
      PROVIDER_TIMEOUT_MS: String(Math.min(15_000, Math.max(2000, Math.round(120_000 * scale * 0.66)))),
      ...o.env,
    },
  });
  // Its connection sees the Redis restart: ioredis reconnects by itself; an unheard error would print a trace.
  stack.redis.on('error', () => undefined);
  done.add(async () => {
    await stack.sandbox.clearFaults().catch(() => undefined);
    await stack.close();
  });
  log(`${o.workers} worker process(es); logs in ${stack.logDir}`);
  const pool = startWorkerPool(o.workers, stack.env, stack.logDir);
  done.add(() => pool.close());
  await bounded(pool.allReady(), 180_000, 'workers did not start');

  const baseline = (await stack.sandbox.state()) as SandboxWorld;
  const rules = faultRules(o);
  for (let i = 0; i < rules.length; i += 100) await stack.sandbox.addFaults(rules.slice(i, i + 100));
  log(`${rules.length} fault rules in force; posting ${o.runs} runs (seed ${o.seed})`);

  const t0 = Date.now();
  const deadline = t0 + o.boundMs;
  const outcomes: (ClientOutcome & { postedAt: number; finalAt?: number })[] = [];
  let postRetries = 0;
  const post = async (p: PlannedClient) => {
    for (;;) {
      const res = await stack
        .request('POST', '/api/provisioning', p.request)
        .catch(() => ({ status: 0, body: undefined }));
      if ((res.status !== 503 && res.status !== 0) || Date.now() > deadline) return res;
      postRetries += 1;
      await sleep(500);
    }
  };
  await lanes(clientsPlan, POST_LANES, async (p) => {
    const postedAt = Date.now();
    const [first, second] = await Promise.all([post(p), p.postTwice ? post(p) : undefined]);
    const runId = first.status === 202 ? (first.body?.runId as string) : undefined;
    outcomes.push({
      request: p.request,
      postStatus: first.status,
      postedAt,
      ...(runId ? { runId } : {}),
      ...(second ? { secondPost: { status: second.status, runId: second.body?.runId as string | undefined } } : {}),
    });
  });
  log(`posted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Kills, until the waiting ends.
  let stopKills = false;
  const killer = (async () => {
    while (!stopKills) {
      await sleep(killRandom.between(...o.killEveryMs));
      if (stopKills) break;
      await pool.kill(killRandom.int(o.workers));
    }
  })();

  const watched = outcomes.filter((c) => c.runId);
  const lastChange = new Map<string, { print: string; at: number }>();
  let redisRestartAt: ChaosResult['redisRestartAt'];
  const driverReads = { keys: new Map<string, string>(), sampled: new Set<string>(), faulted: 0 };
  let endedBy: ChaosResult['endedBy'] = 'bound';
  let cursor = 0;
  let tick = 0;
  for (;;) {
    const open = watched.filter((c) => !isFinal(c.view?.state));
    if (open.length === 0) {
      endedBy = 'all-final';
      break;
    }
    const now = Date.now();
    if (now > deadline) break;
    const newest = Math.max(t0, ...open.map((c) => lastChange.get(c.runId!)?.at ?? t0));
    if (now - newest > o.quietMs && (redisRestartAt || o.redisDownMs === 0)) {
      endedBy = 'quiet';
      break;
    }
    // A slice of the open runs each tick: every run is seen every few seconds without flooding the API.
    const slice = Array.from({ length: Math.min(open.length, 40) }, (_, k) => open[(cursor + k) % open.length]!);
    cursor += slice.length;
    await lanes(slice, 16, async (c) => {
      const res = await stack.request('GET', `/api/provisioning/${c.runId}`).catch(() => undefined);
      if (res?.status !== 200) return;
      const view = res.body as RunView;
      c.view = view;
      const print = fingerprint(view);
      const waiting = view.steps.some((s) => s.rateLimit?.waitingUntil && Date.parse(s.rateLimit.waitingUntil) > now);
      if (lastChange.get(c.runId!)?.print !== print || waiting) lastChange.set(c.runId!, { print, at: Date.now() });
      if (isFinal(view.state)) c.finalAt = Date.parse(view.finishedAt ?? view.updatedAt);
    });
    const finalRuns = watched.length - watched.filter((c) => !isFinal(c.view?.state)).length;
    if (
      !redisRestartAt &&
      o.redisDownMs > 0 &&
      (finalRuns >= restartFraction * watched.length || now - t0 > o.boundMs / 3)
    ) {
      redisRestartAt = { finalRuns, afterS: Math.round((now - t0) / 1000) };
      log(`Redis restart (${finalRuns} of ${watched.length} runs final)`);
      await redis.stop();
      await sleep(o.redisDownMs);
      await redis.start();
      // Its AOF replayed; waiting on quiet restarts from here.
      for (const c of open) lastChange.set(c.runId!, { print: lastChange.get(c.runId!)?.print ?? '', at: Date.now() });
    }
    if (tick++ % 3 === 0) await sampleKeys(stack, driverReads);
    if (tick % 15 === 0) log(`${finalRuns} of ${watched.length} runs final, ${pool.kills()} kills`);
    await sleep(TICK_MS);
  }
  stopKills = true;
  await killer;
  log(`waiting ended (${endedBy}); reading the runs, the sandbox and Redis`);

  await lanes(outcomes, 16, async (c) => {
    if (!c.runId) return;
    for (let i = 0; i < 20; i++) {
      const res = await stack.request('GET', `/api/provisioning/${c.runId}`).catch(() => undefined);
      if (res?.status === 200) {
        c.view = res.body as RunView;
        if (isFinal(c.view.state)) c.finalAt ??= Date.parse(c.view.finishedAt ?? c.view.updatedAt);
        return;
      }
      if (res?.status === 404) {
        delete c.view;
        return;
      }
      await sleep(500);
    }
  });
  await sampleKeys(stack, driverReads);
  const state = (await stack.sandbox.state()) as SandboxWorld;
  const calls = await stack.sandbox.calls();
  const dump = await dumpRedis(stack.redis);
  const sealer = createSealer(Buffer.from(stack.env.ENCRYPTION_KEY!, 'hex'));
  const secrets = new Map<string, string>([
    ...Object.entries(SANDBOX_CREDENTIALS).map(([k, v]) => [`the ${k} token`, v] as [string, string]),
    ['ENCRYPTION_KEY', stack.env.ENCRYPTION_KEY!],
    ...driverReads.keys,
    ...openSealed(dump, sealer),
  ]);

  const violations = checkInvariants({
    clients: outcomes,
    state,
    baseline,
    region: 'af-south-1',
    backupRepo: 'ops-hub/client-backups',
    secretsInRedis: secretsInClear(dump, secrets),
  });
  for (const v of violations) {
    const c = outcomes.find((o) => o.runId !== undefined && o.runId === v.runId);
    if (c) v.calls = callsAbout(calls, c);
  }
  const stuck: StuckRun[] = [];
  for (const c of outcomes) {
    if (!c.view || isFinal(c.view.state)) continue;
    stuck.push({
      runId: c.runId!,
      clientId: c.request.clientId,
      state: c.view.state,
      steps: stepSummary(c.view),
      history: historyLine(c.view),
      ...(c.view.error ? { error: `${c.view.error.code}: ${c.view.error.message}` } : {}),
      story: await stuckStory(stack.redis, stack.prefix, c.runId!),
    });
  }

  const byKind: Record<string, number> = {};
  for (const call of calls) if (call.fault) byKind[call.fault] = (byKind[call.fault] ?? 0) + 1;
  const runs: RunRow[] = outcomes.map((c) => ({
    clientId: c.request.clientId,
    ...(c.runId ? { runId: c.runId } : {}),
    state: c.view?.state ?? (c.runId ? 'lost' : `post ${c.postStatus}`),
    postedAt: new Date(c.postedAt).toISOString(),
    ...(c.finalAt ? { durationMs: c.finalAt - c.postedAt } : {}),
    ...(c.view?.error ? { error: `${c.view.error.code}${c.view.error.step ? ` (${c.view.error.step})` : ''}` } : {}),
    ...(c.view ? { history: historyLine(c.view) } : {}),
  }));
  const byState: Record<string, number> = {};
  for (const r of runs) byState[r.state] = (byState[r.state] ?? 0) + 1;
  const durations = runs.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs]));
  const count = (...kinds: Violation['kind'][]) => violations.filter((v) => kinds.includes(v.kind)).length;
  return {
    options: o,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    endedBy,
    byState,
    faults: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind, onDriverReads: driverReads.faulted },
    kills: pool.kills(),
    unexpectedWorkerExits: pool.unexpectedExits().length,
    redisRestarts: redisRestartAt ? 1 : 0,
    ...(redisRestartAt ? { redisRestartAt } : {}),
    postRetries,
    secretsChecked: secrets.size,
    runTimeMs: { p50: percentile(durations, 50), p95: percentile(durations, 95), max: percentile(durations, 100) },
    counts: {
      duplicates: count('duplicate', 'duplicate-post'),
      orphans: count('orphan', 'not-rolled-back'),
      lost: count('lost', 'post-refused'),
      stuck: count('stuck'),
      other: count('not-provisioned', 'left-mismatch', 'config', 'secret'),
    },
    violations,
    stuck,
    runs,
    logDir: stack.logDir,
  };
}

const historyLine = (v: RunView): string =>
  v.history.map((h) => `${h.at.slice(11, 23)} ${h.from ?? '∅'}→${h.to} (${h.by})`).join('; ');

/**
 * The sandbox's calls that touch a client: a path segment that is one of its derived names, or an
 * id its run recorded (a Supabase ref, a Vercel project or deployment, an n8n workflow), so that a
 * violation shows its story in the JSON.
 */
function callsAbout(calls: SandboxCall[], c: ClientOutcome): string[] {
  const id = c.request.clientId.toLowerCase();
  const tokens = new Set<string>([id, `client-${id}`, `client-${id}-app`]);
  for (const recorded of [c.view?.resources, c.view?.leftResources])
    for (const r of Object.values(recorded ?? {}))
      for (const key of ['ref', 'projectId', 'deploymentId', 'workflowId'])
        if (typeof r?.[key] === 'string') tokens.add(r[key]);
  return calls
    .filter((call) => call.path.split(/[/?]/).some((segment) => tokens.has(decodeURIComponent(segment))))
    .map((call) => {
      const at = (call as SandboxCall & { at?: string | number }).at;
      const when = at === undefined ? '' : `${new Date(at).toISOString().slice(11, 23)} `;
      return `${when}${call.method} ${call.path} ${call.status}${call.fault ? ` ${call.fault}` : ''}`;
    });
}

/** What moves when a run moves: its state, each step's state and attempts, its compensations. */
function fingerprint(v: RunView): string {
  return JSON.stringify([
    v.state,
    v.updatedAt,
    v.steps.map((s) => [s.state, s.attempts, s.failedAttempts?.length ?? 0, s.compensation?.attempts ?? 0]),
  ]);
}

/**
 * Reads the keys of every Supabase project now healthy (once each), so that the Redis scan knows
 * them even after the project is gone. These reads meet the faults too; a faulted one is tried
 * again on a later tick and counted apart from the product's.
 */
async function sampleKeys(
  stack: Stack,
  reads: { keys: Map<string, string>; sampled: Set<string>; faulted: number },
): Promise<void> {
  const state = (await stack.sandbox.state().catch(() => undefined)) as SandboxWorld | undefined;
  for (const p of state?.supabase?.projects ?? []) {
    if (p.status !== 'ACTIVE_HEALTHY' || reads.sampled.has(p.ref)) continue;
    const res = await fetch(`${stack.sandboxUrl}/supabase/v1/projects/${p.ref}/api-keys?reveal=true`, {
      headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` },
    }).catch(() => undefined);
    if (!res?.ok) {
      reads.faulted += 1;
      continue;
    }
    const keys = (await res.json()) as { name: string; api_key: string }[];
    reads.sampled.add(p.ref);
    for (const k of keys)
      if (k.api_key && !k.api_key.includes('·')) reads.keys.set(`${p.name} ${k.name} key`, k.api_key);
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function lanes<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`${what} within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
