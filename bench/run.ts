/**
 * `npm run bench`: issue 7's benchmark. Starts its own processes (the sandbox, the API and worker
 * processes, as deployed), runs the scenarios, prints each figure beside its target, writes JSON to
 * bench/results/ and the README's chart to docs/bench.svg. Exits 0 on a missed target (it is a
 * benchmark), non-zero when a run fails or an invariant breaks. `npm run bench -- --help` for sizes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { chartSvg } from './chart.js';
import { parseOptions, SCENARIOS, USAGE, type BenchOptions, type ScenarioName } from './options.js';
import { panels } from './panels.js';
import { table, type ScenarioResult } from './report.js';
import { fleet } from './scenarios/fleet.js';
import { oneRun } from './scenarios/one-run.js';
import { overhead } from './scenarios/overhead.js';
import { throughput } from './scenarios/throughput.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

const parsed = parseOptions(process.argv.slice(2), process.env);
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const o: BenchOptions = parsed;
const MINUTE = 60_000;
/** The product's 2 s poll interval on the sandbox's time scale (never under 10 ms). */
const pollFor = (scale: number) => String(Math.max(10, Math.round(2000 * scale)));
const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

const results: ScenarioResult[] = [];
const problems: string[] = [];
const wants = (s: ScenarioName) => o.scenarios.includes(s);

/** Starts a stack, runs `body` on it, always closes it; a scenario that throws is a problem, not a crash. */
async function withStack(options: StackOptions, body: (stack: Stack) => Promise<void>): Promise<void> {
  log(`starting ${options.label}: sandbox, API, ${options.workers} worker process(es)`);
  let stack: Stack;
  try {
    stack = await startStack(options);
  } catch (e) {
    problems.push(`${options.label}: could not start: ${(e as Error).message}`);
    return;
  }
  try {
    await body(stack);
  } finally {
    log(`stopping ${options.label}`);
    await stack.close();
  }
}

async function scenario(name: ScenarioName, run: () => Promise<ScenarioResult>): Promise<void> {
  log(`${name}…`);
  const t = Date.now();
  try {
    const r = await run();
    results.push(r);
    problems.push(...r.problems.map((p) => `${name}: ${p}`));
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  } catch (e) {
    problems.push(`${name}: ${(e as Error).message}`);
  }
}

if (o.runtime === 'built') {
  // What production runs (Dockerfile: node dist/...): compiled from this tree first.
  log('npm run build…');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('npm run build failed');
    process.exit(1);
  }
}
const base = { concurrency: o.concurrency, logLevel: o.logLevel, runtime: o.runtime };
const startedAt = new Date();
const loadAtStart = loadavg();

if (wants('overhead') || wants('throughput'))
  await withStack(
    {
      ...base,
      label: 'zero-latency stack',
      workers: 1,
      timeScale: o.zeroScale,
      profile: 'fast',
      rateLimits: false,
      env: { POLL_INTERVAL_MS: pollFor(o.zeroScale) },
    },
    async (stack) => {
      if (wants('overhead'))
        await scenario('overhead', () =>
          overhead(stack, {
            runs: o.overheadRuns,
            warmup: o.warmup,
            pollIntervalMs: Number(pollFor(o.zeroScale)),
            concurrency: o.concurrency,
          }),
        );
      if (wants('throughput'))
        await scenario('throughput', () =>
          throughput(stack, {
            runs: o.throughputRuns,
            concurrency: o.concurrency,
            pollIntervalMs: Number(pollFor(o.zeroScale)),
            timeoutMs: 30 * MINUTE,
          }),
        );
    },
  );

const realistic = {
  ...base,
  timeScale: o.timeScale,
  profile: 'realistic' as const,
  rateLimits: true,
  env: { POLL_INTERVAL_MS: pollFor(o.timeScale) },
};
if (wants('one-run'))
  await withStack({ ...realistic, label: 'one-run stack', workers: 1 }, (stack) =>
    scenario('one-run', () => oneRun(stack, { runs: o.oneRuns, timeoutMs: 10 * MINUTE })),
  );
if (wants('fleet'))
  await withStack(
    { ...realistic, concurrency: o.fleetConcurrency, label: 'fleet stack', workers: o.fleetWorkers },
    (stack) => scenario('fleet', () => fleet(stack, { clients: o.clients, timeoutMs: 90 * MINUTE })),
  );

// In the issue's order, whatever order they ran in.
const order = (r: ScenarioResult) => SCENARIOS.indexOf(r.name as ScenarioName);
results.sort((a, b) => order(a) - order(b));
const rows = results.flatMap((r) => r.rows);
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  loadAtStart,
  loadAtEnd: loadavg(),
  node: process.version,
};
console.log('');
console.log(table(rows));
console.log('');
console.log(
  `${o.quick ? 'QUICK sizes. ' : ''}Machine: ${machine.cpus} CPUs, load average ${loadAtStart[0]!.toFixed(1)} at the start, ${machine.loadAtEnd[0]!.toFixed(1)} at the end.`,
);
if (problems.length) {
  console.log(`\nFAILED: ${problems.length} problem(s):`);
  for (const p of problems.slice(0, 30)) console.log(`  - ${p}`);
}

const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const report = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  options: o,
  machine,
  table: rows,
  markdown: table(rows, true),
  problems,
  scenarios: results,
};
mkdirSync(o.outDir, { recursive: true });
const file = join(o.outDir, `${stamp}${o.quick ? '-quick' : ''}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
if (!o.quick) writeFileSync(join(o.outDir, 'latest.json'), JSON.stringify(report, null, 2));
console.log(`\nJSON: ${file}${o.quick ? '' : ` (and ${join(o.outDir, 'latest.json')})`}`);
if (o.chart && results.length) {
  mkdirSync(dirname(o.chart), { recursive: true });
  const caption = `npm run bench, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine.cpus} CPUs (load average ${loadAtStart[0]!.toFixed(1)} at the start); blue: the product, grey: references, red: targets`;
  writeFileSync(o.chart, chartSvg(panels(results), caption));
  console.log(`Chart: ${o.chart}`);
}
process.exit(problems.length ? 1 : 0);
