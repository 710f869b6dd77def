/**
 * `npm run bench`: provisions N clients at once on the sandbox (real Redis, BullMQ and
 * Postgres; providers emulated with their latencies and rate limits) and reports run
 * latency and throughput, then checks that each client has exactly one of each resource.
 *
 *   BENCH_CLIENTS=20 SANDBOX_TIME_SCALE=0.1 npm run bench
 */
import { buildRequest } from '../test/support/factories.js';
import { resourcesOf, startHarness } from '../test/support/harness.js';

const clients = Number(process.env.BENCH_CLIENTS ?? 20);
const timeScale = process.env.SANDBOX_TIME_SCALE ?? '0.1';

const h = await startHarness({
  SANDBOX_TIME_SCALE: timeScale,
  SANDBOX_RATE_LIMITS: process.env.SANDBOX_RATE_LIMITS ?? 'on',
  POLL_INTERVAL_MS: String(Math.max(20, Math.round(2000 * Number(timeScale)))),
  STEP_BACKOFF_MS: String(Math.max(50, Math.round(2000 * Number(timeScale)))),
  STEP_ATTEMPTS: '8',
  WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '32',
});
try {
  const requests = Array.from({ length: clients }, () => buildRequest());
  const t0 = performance.now();
  const posted = await Promise.all(requests.map((r) => h.request('POST', '/api/provisioning', { body: r })));
  const enqueueMs = performance.now() - t0;
  const done = await Promise.all(
    posted.map(async (p) => {
      const run = await h.waitForRun(p.body.runId, ['succeeded', 'rolled_back', 'rollback_failed'], 600_000);
      return { run, ms: Date.parse(run.finishedAt) - Date.parse(run.createdAt) };
    }),
  );
  const wallMs = performance.now() - t0;
  const ms = done.map((d) => d.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
  const state = await h.sandboxState();
  const broken = requests.filter((r) =>
    Object.values(resourcesOf(state, r.clientId)).some((list) => list.length !== 1),
  );
  const calls = await h.sandboxCalls();
  const limited = calls.filter((c) => c.status === 429 || (c.status === 403 && c.provider === 'github')).length;

  console.log(
    `clients ${clients}, SANDBOX_TIME_SCALE ${timeScale}, rate limits ${process.env.SANDBOX_RATE_LIMITS ?? 'on'}`,
  );
  console.log(`enqueue all: ${enqueueMs.toFixed(0)} ms`);
  console.log(`run latency ms: p50 ${pct(50)}, p95 ${pct(95)}, max ${ms.at(-1)}`);
  console.log(`wall ${(wallMs / 1000).toFixed(1)} s, ${(clients / (wallMs / 60_000)).toFixed(1)} clients/min`);
  const states: Record<string, number> = {};
  for (const d of done) states[d.run.state as string] = (states[d.run.state as string] ?? 0) + 1;
  console.log(`states: ${JSON.stringify(states)}`);
  console.log(`provider calls ${calls.length}, rate-limited answers ${limited}`);
  console.log(
    `invariant (exactly one of each resource per client): ${broken.length === 0 ? 'held' : `BROKEN for ${broken.map((r) => r.clientId).join(', ')}`}`,
  );
  if (broken.length || done.some((d) => d.run.state !== 'succeeded')) process.exitCode = 1;
} finally {
  await h.close();
}
