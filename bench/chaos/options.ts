import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

/**
 * Every setting of `npm run chaos`, from flags or the environment (flags win), as bench/options.ts
 * does for the bench:
 *
 *   npm run chaos -- --runs 50 --seed 7
 *   CHAOS_RUNS=50 npm run chaos
 */
export interface ChaosOptions {
  runs: number;
  /** Seeds the plan (clients, fault rules, kill times, the Redis restart point). */
  seed: number;
  workers: number;
  /** WORKER_CONCURRENCY of each worker process. */
  concurrency: number;
  /** SANDBOX_TIME_SCALE; the product's poll interval and step backoff are scaled alike. */
  timeScale: number;
  /** A worker is SIGKILLed every `killEveryMs` (drawn from the range), then started again. */
  killEveryMs: [number, number];
  /** How long the private Redis stays down when it is restarted. */
  redisDownMs: number;
  /** Probability that a provider call meets a transient fault (5xx, 429, timeout, reset, lost answer). */
  transient: number;
  /** Probability that a create call fails for good (a 4xx, a project that never comes up, a failed build). */
  permanentCreate: number;
  /** Probability that a delete call is refused for good (403): the rollback of that run fails. */
  permanentDelete: number;
  /** Share of clients posted twice at once (the second POST must answer with the same run). */
  duplicatePosts: number;
  /** After this, a run not in a final state is stuck. */
  boundMs: number;
  /** Once kills have stopped, stop waiting early when no open run changed for this long. */
  quietMs: number;
  rateLimits: boolean;
  /** Extra settings for the API and workers (`--env LOCK_DURATION_MS=2000`). */
  env: Record<string, string>;
  logLevel: string;
  outDir: string;
}

const FLAGS = {
  runs: { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
  concurrency: { type: 'string' },
  'time-scale': { type: 'string' },
  'kill-every': { type: 'string' },
  'redis-down': { type: 'string' },
  transient: { type: 'string' },
  'permanent-create': { type: 'string' },
  'permanent-delete': { type: 'string' },
  'duplicate-posts': { type: 'string' },
  bound: { type: 'string' },
  quiet: { type: 'string' },
  'rate-limits': { type: 'string' },
  env: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const USAGE = `npm run chaos [-- flags]   (each flag also reads CHAOS_<NAME>, e.g. CHAOS_RUNS)
  --runs N                200     runs, each with a client of its own, posted at once
  --seed N                random  seeds the plan: clients, fault rules, kill times, Redis restart point
  --workers N             2       worker processes (test/support/worker-process.ts)
  --concurrency N         16      WORKER_CONCURRENCY of each
  --time-scale X          0.1     SANDBOX_TIME_SCALE (poll interval and step backoff scaled alike)
  --kill-every A-B        3-8     seconds between SIGKILLs of a random worker (then restarted)
  --redis-down S          2       seconds the private Redis stays down at its one restart
  --transient P           0.03    chance a provider call meets a transient fault
  --permanent-create P    0.02    chance a create fails for good (the run rolls back)
  --permanent-delete P    0.03    chance a delete is refused for good (the rollback fails)
  --duplicate-posts P     0.1     share of clients posted twice at once
  --bound S               runs×6, at least 300   seconds after which an open run is stuck
  --quiet S               120     stop waiting early once no open run changed for this long (kills over)
  --rate-limits on|off    on      the sandbox's provider rate limits
  --env KEY=VALUE         -       more settings for the API and workers (repeatable)
  --log-level L           warn    LOG_LEVEL of the processes (logs in $TMPDIR/cp-bench-<prefix>/)
  --out DIR               bench/results/chaos`;

export function parseChaosOptions(argv: string[], env: NodeJS.ProcessEnv): ChaosOptions | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, allowPositionals: false });
  if (values.help) return 'help';
  const pick = (flag: Exclude<keyof typeof FLAGS, 'env' | 'help'>): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    return env[`CHAOS_${flag.toUpperCase().replace(/-/g, '_')}`] || undefined;
  };
  const num = (flag: Exclude<keyof typeof FLAGS, 'env' | 'help'>, dflt: number, min = 0, max = Infinity) => {
    const raw = pick(flag);
    const v = raw === undefined ? dflt : Number(raw);
    if (!Number.isFinite(v) || v < min || v > max)
      throw new Error(`--${flag} must be a number in [${min}, ${max}], got ${raw}`);
    return v;
  };
  const runs = num('runs', 200, 1);
  const killEvery = (pick('kill-every') ?? '3-8').split('-').map(Number);
  const [killMin, killMax = killMin] = killEvery;
  if (killMin === undefined || !(killMin > 0) || !(killMax! >= killMin))
    throw new Error(`--kill-every must be A-B seconds with 0 < A <= B, got ${pick('kill-every')}`);
  const extra = [...(values.env ?? []), ...(env.CHAOS_ENV ? env.CHAOS_ENV.split(',') : [])];
  return {
    runs,
    seed: num('seed', randomInt(2 ** 31), 0, 2 ** 32 - 1),
    workers: num('workers', 2, 1),
    concurrency: num('concurrency', 16, 1),
    timeScale: num('time-scale', 0.1, 0.0001, 1),
    killEveryMs: [killMin * 1000, killMax! * 1000],
    redisDownMs: num('redis-down', 2, 0) * 1000,
    transient: num('transient', 0.03, 0, 1),
    permanentCreate: num('permanent-create', 0.02, 0, 1),
    permanentDelete: num('permanent-delete', 0.03, 0, 1),
    duplicatePosts: num('duplicate-posts', 0.1, 0, 1),
    boundMs: num('bound', Math.max(300, runs * 6), 1) * 1000,
    quietMs: num('quiet', 120, 1) * 1000,
    rateLimits: (pick('rate-limits') ?? 'on') !== 'off',
    env: Object.fromEntries(
      extra.map((kv) => {
        const at = kv.indexOf('=');
        if (at < 1) throw new Error(`--env wants KEY=VALUE, got ${kv}`);
        return [kv.slice(0, at), kv.slice(at + 1)];
      }),
    ),
    logLevel: pick('log-level') ?? 'warn',
    outDir: pick('out') ?? 'bench/results/chaos',
  };
}
