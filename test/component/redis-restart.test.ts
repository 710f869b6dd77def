/**
 * Redis restarted mid-run (AOF on): nothing is lost, the API answers 503 at once while Redis is
 * down, and every process reconnects by itself. Runs against a private redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { ONE_OF_EACH, resourceCounts, startHarness, type Harness } from '../support/harness.js';
import { ROOT } from '../support/app-process.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';

let redis: PrivateRedis;
let h: Harness;
const workers: ChildProcess[] = [];

/** `npm run worker` with the harness's environment; resolves once its workers are started. */
async function startWorkerProcess(env: Record<string, string> = {}) {
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...h.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(worker);
  const exited = new Promise<number | null>((done) => worker.once('exit', (code) => done(code)));
  let output = '';
  worker.stdout.on('data', (d: Buffer) => (output += d.toString()));
  worker.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await expect.poll(() => output, { timeout: 30_000 }).toContain('worker started');
  return { worker, exited };
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  // Workers in processes of their own, as deployed: each has to reconnect by itself.
  h = await startHarness({ REDIS_URL: redis.url, SANDBOX_TIME_SCALE: '0.05' }, { worker: false });
});

afterAll(async () => {
  await redis?.start().catch(() => undefined);
  for (const w of workers.splice(0)) w.kill('SIGKILL');
  await h?.close();
  await redis?.destroy();
});

describe('Redis restart', () => {
  it('When Redis restarts mid-run, then the API answers 503 while it is down and the run still succeeds', async () => {
    await startWorkerProcess();
    const request = buildRequest();
    const posted = await h.provision(request);
    expect(posted.status).toBe(202);
    const runId = posted.body.runId as string;
    await expect.poll(async () => (await h.getRun(runId)).state).toBe('running');

    await redis.stop();
    const began = Date.now();
    const get = await h.request('GET', `/api/provisioning/${runId}`);
    const answeredMs = Date.now() - began;
    const post = await h.provision(buildRequest());
    const ready = await h.request('GET', '/readyz', { token: null });
    await redis.start();
    console.info(`Redis down: GET answered ${get.status} in ${answeredMs} ms`);

    expect(get.status).toBe(503);
    expect(get.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(post.status).toBe(503);
    expect(post.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(ready.status).toBe(503);
    const run = await h.waitForRun(runId, ['succeeded', 'failed', 'rolled_back', 'rollback_failed'], 60_000);
    expect(run.state).toBe('succeeded');
    expect(resourceCounts(await h.sandboxState(), request.clientId)).toEqual(ONE_OF_EACH);
  });

  it('When a worker is asked to stop while Redis is down, then it still exits', async () => {
    const { worker, exited } = await startWorkerProcess({ SHUTDOWN_TIMEOUT_MS: '2000' });
    try {
      await redis.stop();

      const began = Date.now();
      worker.kill('SIGTERM');
      const code = await exited;

      expect(code).not.toBeNull();
      console.info(`worker with Redis down: SIGTERM to exit took ${Date.now() - began} ms, code ${code}`);
    } finally {
      await redis.start();
    }
  });
});
