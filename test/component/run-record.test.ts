/**
 * The run record is the system of record (issue 8): nothing depends on a BullMQ job still
 * existing, and the reconciler drives on every run the normal path left in a transitional state.
 */
import { Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createQueues, ROLLBACK_QUEUE, type Queues } from '../../src/runs/queues.js';
import { RunStore } from '../../src/runs/run-store.js';
import { rollbackJobId } from '../../src/runs/flow-builder.js';
import { reconcile } from '../../src/worker/reconciler.js';
import { clientKey } from '../../src/shared/names.js';
import { createRedis } from '../../src/shared/redis.js';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, ONE_OF_EACH, resourceCounts, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let queues: Queues;
let store: RunStore;
const FINAL = ['succeeded', 'rolled_back', 'rollback_failed'];

beforeAll(async () => {
  h = await startHarness({
    // Every finished job is removed at once (only the newest one kept): what a long-lived
    // deployment's retention does to old runs, done to every run while it is still in flight.
    JOB_RETENTION_COUNT: '1',
    RECONCILE_INTERVAL_MS: '300',
    RECONCILE_QUIET_MS: '600',
  });
  queues = createQueues(h.env.REDIS_URL!, h.prefix);
  store = new RunStore(queues.connection, h.prefix, 'test');
});

afterEach(async () => {
  await h.clearFaults();
  await h.startWorker();
});

afterAll(async () => {
  await queues?.close();
  await h?.close();
});

async function provisioned(): Promise<{ runId: string; clientId: string }> {
  const req = buildRequest();
  const posted = await h.request('POST', '/api/provisioning', { body: req });
  expect(posted.status).toBe(202);
  const done = await h.waitForRun(posted.body.runId, FINAL);
  expect(done.state).toBe('succeeded');
  return { runId: posted.body.runId, clientId: req.clientId };
}

async function removeAllFinishedJobs(): Promise<void> {
  for (const q of [queues.provision, queues.rollback])
    for (const type of ['completed', 'failed'] as const) await q.clean(0, 100_000, type);
}

describe('nothing depends on a job (issue 8)', () => {
  it('When every finished job is removed as soon as it finishes, then runs still succeed and read whole, and a client whose jobs are all gone is torn down completely', async () => {
    const { runId, clientId } = await provisioned();
    await removeAllFinishedJobs();
    expect(await queues.provision.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });

    const run = await h.getRun(runId);
    expect(run.steps.map((s: any) => s.state)).toEqual(Array(6).fill('succeeded'));
    expect(Object.keys(run.resources).sort()).toEqual(['backup', 'database', 'github', 'n8n', 'supabase', 'vercel']);
    expect(JSON.stringify(run)).not.toMatch(/dbPassword|serviceRoleKey/);

    const torn = await h.request('POST', `/api/provisioning/${runId}/rollback`);
    expect(torn.status).toBe(202);
    const done = await h.waitForRun(runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(done.steps.filter((s: any) => s.state === 'compensated')).toHaveLength(6);
    expect(resourceCounts(await h.sandboxState(), clientId)).toEqual(NONE_LEFT);
  });
});

describe('the reconciler (issue 8)', () => {
  it('When a run was claimed but its flow never enqueued (the process died in between), then the reconciler builds it and the run succeeds', async () => {
    const req = buildRequest();
    const runId = crypto.randomUUID();
    const claim = await store.claim(runId, clientKey(req.clientId), req);
    expect(claim.kind).toBe('created');
    expect(await Job.fromId(queues.provision, `${runId}-g1-finalize`)).toBeUndefined();

    const done = await h.waitForRun(runId, FINAL);
    expect(done.state).toBe('succeeded');
    expect(done.generation).toBe(2);
    expect(done.history.map((t: any) => t.to)).toEqual(['queued', 'queued', 'running', 'succeeded']);
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(ONE_OF_EACH);
  });

  it('When a run is rolling_back with no rollback job (a crash between the state write and the enqueue), then the reconciler enqueues it', async () => {
    const { runId, clientId } = await provisioned();
    const moved = await store.transition(runId, ['succeeded'], 'rolling_back', {}, 'rollbacks');
    expect(moved.ok).toBe(true);

    const done = await h.waitForRun(runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), clientId)).toEqual(NONE_LEFT);
  });

  it('When the rollback job gave up, then the reconciler ends the run rollback_failed listing everything still there; a retried rollback clears it', async () => {
    const { runId, clientId } = await provisioned();
    await h.stopWorker();
    const moved = await store.transition(runId, ['succeeded'], 'rolling_back', {}, 'rollbacks');
    // The rollback job, taken and failed for good (as after its last attempt) by a hand-driven worker.
    await queues.rollback.add(
      'rollback',
      { runId, rollback: moved.counter },
      {
        jobId: rollbackJobId(runId, moved.counter),
        attempts: 1,
      },
    );
    const connection = createRedis(h.env.REDIS_URL!, 'worker');
    const hand = new Worker(ROLLBACK_QUEUE, null, { connection, prefix: h.prefix });
    const job = await hand.getNextJob('hand');
    await job.moveToFailed(new Error('gave up'), 'hand', false);
    await hand.close();
    connection.disconnect();
    await h.startWorker();

    const abandoned = await h.waitForRun(runId, ['rolled_back', 'rollback_failed']);
    expect(abandoned.state).toBe('rollback_failed');
    expect(abandoned.error.code).toBe('ROLLBACK_INCOMPLETE');
    expect(Object.keys(abandoned.leftResources).sort()).toEqual(
      ['backup', 'database', 'github', 'n8n', 'supabase', 'vercel'].sort(),
    );
    expect(resourceCounts(await h.sandboxState(), clientId)).toEqual(ONE_OF_EACH);

    expect((await h.request('POST', `/api/provisioning/${runId}/rollback`)).status).toBe(202);
    const done = await h.waitForRun(runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), clientId)).toEqual(NONE_LEFT);
  });

  it('When a run stays transitional past RUN_DEADLINE_MS, then it is failed and rolled back', async () => {
    await h.stopWorker();
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const runId: string = posted.body.runId;
    const deadlineMs = 60_000;
    const report = await reconcile(
      {
        store,
        queues,
        flow: { stepAttempts: 1, stepBackoffMs: 10 },
        logger: pino({ level: 'silent' }),
        rollbackOnFailure: 'auto',
      },
      { intervalMs: 1000, quietMs: 0, deadlineMs },
      Date.now() + deadlineMs + 1,
    );
    expect(report.deadlined).toBeGreaterThanOrEqual(1);
    const failed = await h.getRun(runId);
    expect(failed.state).toBe('rolling_back');
    expect(failed.error.code).toBe('RUN_DEADLINE_EXCEEDED');

    await h.startWorker();
    const done = await h.waitForRun(runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
  });
});
