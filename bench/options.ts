import { parseArgs } from 'node:util';
import type { Runtime } from './processes.js';

/**
 * Every size of the bench, from flags or the environment (flags win), with issue 7's sizes as
 * defaults and `--quick` for small ones:
 *
 *   npm run bench -- --quick
 *   npm run bench -- --scenario fleet --clients 200 --time-scale 0.05
 *   BENCH_CLIENTS=200 npm run bench
 */
export const SCENARIOS = ['overhead', 'one-run', 'fleet', 'throughput'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  quick: boolean;
  /** overhead: runs one after another (and warm-up runs, not counted). */
  overheadRuns: number;
  warmup: number;
  /** one-run: how many successful runs (the median ratio is reported). */
  oneRuns: number;
  /** fleet: clients posted at once, and worker processes. */
  clients: number;
  fleetWorkers: number;
  /** throughput: runs posted at once. */
  throughputRuns: number;
  /** WORKER_CONCURRENCY of every worker process (and of the bare flow's worker). */
  concurrency: number;
  /**
   * WORKER_CONCURRENCY of the fleet's workers: a step waiting for its provider (a Supabase project
   * coming up) holds its slot, so a fleet at the providers' pace needs slots for every such wait.
   */
  fleetConcurrency: number;
  /** SANDBOX_TIME_SCALE of the realistic scenarios (one-run, fleet). */
  timeScale: number;
  /** SANDBOX_TIME_SCALE of the zero-latency scenarios (overhead, throughput). */
  zeroScale: number;
  logLevel: string;
  /** How the product's processes run: `built` (npm run build first; what production runs) or `tsx`. */
  runtime: Runtime;
  /** Where the JSON goes; the chart, when written. */
  outDir: string;
  chart: string | undefined;
}

const FLAGS = {
  scenario: { type: 'string' },
  quick: { type: 'boolean' },
  'overhead-runs': { type: 'string' },
  'one-runs': { type: 'string' },
  clients: { type: 'string' },
  'fleet-workers': { type: 'string' },
  'throughput-runs': { type: 'string' },
  concurrency: { type: 'string' },
  'fleet-concurrency': { type: 'string' },
  'time-scale': { type: 'string' },
  'zero-scale': { type: 'string' },
  'log-level': { type: 'string' },
  runtime: { type: 'string' },
  out: { type: 'string' },
  chart: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const USAGE = `npm run bench [-- flags]   (each flag also reads BENCH_<NAME>, e.g. BENCH_CLIENTS)
  --scenario overhead|one-run|fleet|throughput|all   (comma-separated; default all)
  --quick                 small sizes, about a minute; writes no latest.json and no chart
  --overhead-runs N       50     runs one after another (plus 3 warm-up runs)
  --one-runs N            1      successful runs in one-run (median ratio reported)
  --clients N             500    fleet: clients posted at once
  --fleet-workers N       2      fleet: worker processes
  --throughput-runs N     500    throughput: runs posted at once
  --concurrency N         64     WORKER_CONCURRENCY of each worker process (overhead, one-run, throughput)
  --fleet-concurrency N   80     WORKER_CONCURRENCY of each fleet worker (slots for Supabase projects coming up)
  --time-scale X          0.05   SANDBOX_TIME_SCALE of one-run and fleet (realistic profile)
  --zero-scale X          0.0001 SANDBOX_TIME_SCALE of overhead and throughput (fast profile)
  --log-level L           warn   LOG_LEVEL of the processes (logs in $TMPDIR/cp-bench-<prefix>/)
  --runtime built|tsx     built  built: npm run build, then node dist/... (as the Dockerfile); tsx: node --import tsx src/...
  --out DIR               bench/results
  --chart FILE            docs/bench.svg (none with --quick unless given)`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, allowPositionals: false });
  if (values.help) return 'help';
  const pick = (flag: keyof typeof FLAGS): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    return env[`BENCH_${flag.toUpperCase().replace(/-/g, '_')}`] || undefined;
  };
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const num = (flag: keyof typeof FLAGS, full: number, small: number) => {
    const raw = pick(flag);
    const v = raw === undefined ? (quick ? small : full) : Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${flag} must be a positive number, got ${raw}`);
    return v;
  };
  const wanted = (pick('scenario') ?? 'all').split(',').map((s) => s.trim());
  const scenarios = wanted.includes('all') ? [...SCENARIOS] : (wanted as ScenarioName[]);
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`--scenario: unknown ${s}`);
  const runtime = pick('runtime') ?? 'built';
  if (runtime !== 'built' && runtime !== 'tsx') throw new Error(`--runtime: built or tsx, got ${runtime}`);
  return {
    scenarios,
    quick,
    overheadRuns: num('overhead-runs', 50, 10),
    warmup: 3,
    oneRuns: num('one-runs', 1, 1),
    clients: num('clients', 500, 30),
    fleetWorkers: num('fleet-workers', 2, 2),
    throughputRuns: num('throughput-runs', 500, 30),
    concurrency: num('concurrency', 64, 64),
    fleetConcurrency: num('fleet-concurrency', 80, 80),
    timeScale: num('time-scale', 0.05, 0.05),
    zeroScale: num('zero-scale', 0.0001, 0.0001),
    logLevel: pick('log-level') ?? 'warn',
    runtime,
    outDir: pick('out') ?? 'bench/results',
    chart: pick('chart') ?? (quick ? undefined : 'docs/bench.svg'),
  };
}
