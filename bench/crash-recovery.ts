/**
 * `npm run bench:crash`: how long a SIGKILLed worker's step takes to run again, with the lock
 * settings in force (the defaults unless LOCK_DURATION_MS / STALLED_INTERVAL_MS are set).
 * A worker process takes a run; while its supabase step waits for the project to come up, the
 * worker is SIGKILLed and a fresh one started at once; the time is from the kill to the step's
 * job being active again in the fresh worker. Real Redis, BullMQ and Postgres; the sandbox.
 *
 *   npm run bench:crash                       # the defaults, 3 kills
 *   LOCK_DURATION_MS=30000 STALLED_INTERVAL_MS=15000 npm run bench:crash
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Job } from 'bullmq';
import { createQueues } from '../src/runs/queues.js';
import { buildRequest } from '../test/support/factories.js';
import { startHarness } from '../test/support/harness.js';

const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const lockEnv = Object.fromEntries(
  ['LOCK_DURATION_MS', 'STALLED_INTERVAL_MS'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
);

// Realistic Supabase (90-180 s to healthy), scaled so the step waits 18-36 s: long enough to be killed in.
const h = await startHarness(
  { SANDBOX_PROFILE: 'realistic', SANDBOX_TIME_SCALE: '0.2', ...lockEnv },
  { worker: false },
);
const queues = createQueues(h.env.REDIS_URL!, h.env.QUEUE_PREFIX!);

function startWorker(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...h.env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('worker-ready') && resolve(proc));
    proc.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 180_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const figures: number[] = [];
const workers: ChildProcess[] = [];
try {
  for (let i = 0; i < KILLS; i++) {
    const first = await startWorker();
    workers.push(first);
    const posted = await h.request('POST', '/api/provisioning', { body: buildRequest() });
    const jobId = `${posted.body.runId}-g1-supabase`;
    await until(async () => {
      const job = await Job.fromId(queues.provision, jobId);
      return job && (await job.getState()) === 'active' && job.data.resources?.ref ? job : undefined;
    }, 'the supabase step to be running');
    const killedAt = Date.now();
    first.kill('SIGKILL');
    workers.push(await startWorker());
    const back = await until(async () => {
      const job = await Job.fromId(queues.provision, jobId);
      return job && (job.processedOn ?? 0) > killedAt && (await job.getState()) === 'active' ? job : undefined;
    }, 'the step to run again');
    figures.push(back.processedOn! - killedAt);
    console.log(
      `kill ${i + 1}: the step ran again ${((back.processedOn! - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    for (const w of workers.splice(0)) w.kill('SIGKILL');
  }
  const sorted = [...figures].sort((a, b) => a - b);
  console.log(
    `lock ${h.env.LOCK_DURATION_MS ?? 'default'} ms, stalled interval ${h.env.STALLED_INTERVAL_MS ?? 'default'} ms: ` +
      `step running again after ${sorted.map((f) => (f / 1000).toFixed(1)).join(', ')} s (max ${(sorted.at(-1)! / 1000).toFixed(1)} s)`,
  );
} finally {
  for (const w of workers) w.kill('SIGKILL');
  await queues.close();
  await h.close();
}
