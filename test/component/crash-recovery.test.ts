/**
 * SPEC 4.2 (nothing duplicated) and 4.3 (nothing lost) when workers crash.
 *
 * The API and the sandbox run in this process (the harness, without its in-process worker);
 * workers run as child processes (test/support/worker-process.ts) so that they can be killed
 * with SIGKILL, which BullMQ only notices through the lock expiring: with LOCK_DURATION_MS=2000
 * and STALLED_INTERVAL_MS=1000 a fresh worker takes such a job back within about 2-3 s
 * (bullmq-facts.md §5). How fast that is belongs to the benchmark: these tests wait on conditions
 * (vi.waitFor) with generous bounds and assert only what happened.
 */
import { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createQueues, type Queues } from '../../src/runs/queues.js';
import { buildRequest } from '../support/factories.js';
import { workerChildren } from '../support/worker-children.js';
import { NONE_LEFT, ONE_OF_EACH, resourceCounts, resourcesOf, startHarness, type Harness } from '../support/harness.js';

const LOCK_DURATION_MS = 2000;
const STALLED_INTERVAL_MS = 1000;
/** How long a condition may take at most on a loaded machine: a bound against hanging, not a timing. */
const WAIT = { timeout: 20_000, interval: 10 };
const FINAL = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];

/** The create operation of each provider, as the sandbox logs it. */
const CREATES = [
  ['supabase', 'v1-create-a-project'],
  ['github', 'repos/create-using-template'],
  ['vercel', 'createProject'],
  ['n8n', 'createWorkflow'],
  ['gitea', 'repoCreateFile'],
] as const;

let h: Harness;
let queues: Queues;

beforeAll(async () => {
  h = await startHarness(
    {
      // Supabase projects stay COMING_UP for 600 ms: a window in which to kill the worker mid-step.
      SANDBOX_TIME_SCALE: '0.2',
      LOCK_DURATION_MS: String(LOCK_DURATION_MS),
      STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      // The sandbox's Supabase delete drops a real database, which can take seconds while other
      // test files create and drop theirs; the harness's 2 s would turn that into retries.
      PROVIDER_TIMEOUT_MS: '8000',
    },
    { worker: false },
  );
  queues = createQueues(h.env.REDIS_URL!, h.prefix);
});

afterEach(async (ctx) => {
  await workers.afterTest(ctx.task.result?.state === 'fail');
  await h?.clearFaults();
});

afterAll(async () => {
  await workers.killAll();
  await queues?.close();
  await h?.close();
});

const workers = workerChildren(() => h);
const spawnWorker = () => workers.spawn();
const kill9 = workers.kill9;

// ---- helpers -------------------------------------------------------------------------------

const callsSince = async (from: number) => (await h.sandboxCalls()).slice(from);
const count = (calls: any[], provider: string, operationId: string) =>
  calls.filter((c) => c.provider === provider && c.operationId === operationId);
const stepOf = (run: any, name: string) => run.steps.find((s: any) => s.name === name);

/** Every resource of the client exists exactly once, and each provider's create answered 2xx once. */
function expectProvisionedOnce(state: any, calls: any[], clientId: string): void {
  expect(resourceCounts(state, clientId)).toEqual(ONE_OF_EACH);
  for (const [provider, op] of CREATES) {
    // Called once; a second call may only have been refused (a conflict), never have created.
    expect(
      count(calls, provider, op).filter((c) => c.status >= 200 && c.status < 300),
      `${op} succeeded more than once`,
    ).toHaveLength(1);
  }
}

// ---- tests ---------------------------------------------------------------------------------

describe('crash recovery (SPEC 4.2, 4.3)', () => {
  it('When the worker is SIGKILLed mid-step, then a fresh worker takes the step back and the run succeeds with every resource created once', async () => {
    const from = (await h.sandboxCalls()).length;
    const first = await spawnWorker();
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    expect(posted.status).toBe(202);
    const runId: string = posted.body.runId;

    // The supabase step has created its project and is waiting for it to come up (600 ms).
    const atKill = await vi.waitFor(async () => {
      const project = resourcesOf(await h.sandboxState(), req.clientId).supabase[0];
      expect(project?.status, 'the Supabase project, while it is COMING_UP').toBe('COMING_UP');
      return project;
    }, WAIT);
    const killedAt = await kill9(first);
    const runAtKill = await h.getRun(runId);
    expect(runAtKill.state).toBe('running');
    expect(stepOf(runAtKill, 'supabase').state).toBe('running');
    const jobId = `${runId}-g1-supabase`;
    expect(await (await Job.fromId(queues.provision, jobId))!.getState()).toBe('active'); // orphaned: its lock still stands

    await spawnWorker();
    const done = await h.waitForRun(runId, FINAL, 25_000);
    expect(done.state).toBe('succeeded');

    // Taken back by the fresh worker (its lock expired, a stalled check saw it), after the kill.
    const job = (await Job.fromId(queues.provision, jobId))!;
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(job.processedOn).toBeGreaterThan(killedAt);
    expect(stepOf(done, 'supabase').attempts).toBeGreaterThanOrEqual(2);
    expect(done.resources.supabase.ref).toBe(atKill.ref); // the same project, found again by name or recorded ref

    expectProvisionedOnce(await h.sandboxState(), await callsSince(from), req.clientId);
  });

  it('When the worker is SIGKILLed during the rollback, then a fresh worker resumes it and nothing of the client is left', async () => {
    const from = (await h.sandboxCalls()).length;
    await h.addFaults([
      { provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 },
      // The GitHub delete hangs (once): the rollback is caught with some compensations done and one in flight.
      { provider: 'github', operationId: 'repos/delete', fault: 'timeout', times: 1 },
    ]);
    const first = await spawnWorker();
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    expect(posted.status).toBe(202);
    const runId: string = posted.body.runId;

    await vi.waitFor(async () => {
      expect(count(await callsSince(from), 'github', 'repos/delete'), 'the GitHub delete in flight').not.toEqual([]);
    }, WAIT);
    const killedAt = await kill9(first);
    const mid = await h.getRun(runId);
    expect(mid.state).toBe('rolling_back');
    expect(mid.error).toMatchObject({ step: 'vercel', retryable: false });
    const compensated = (run: any) => run.steps.filter((s: any) => s.state === 'compensated').map((s: any) => s.name);
    expect(compensated(mid)).toEqual(['vercel', 'n8n', 'backup']);
    expect(resourcesOf(await h.sandboxState(), req.clientId).github).toHaveLength(1);

    await spawnWorker();
    const done = await h.waitForRun(runId, ['rolled_back', 'rollback_failed'], 25_000);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
    expect(compensated(done)).toEqual(['supabase', 'database', 'github', 'vercel', 'n8n', 'backup']);

    // Resumed, not redone: the compensations finished before the kill did not run again; the one
    // in flight (its call never answered) was done by the fresh worker.
    const calls = await callsSince(from);
    expect(count(calls, 'n8n', 'deleteWorkflow')).toHaveLength(1);
    expect(count(calls, 'gitea', 'repoDeleteFile')).toHaveLength(1);
    const githubDeletes = count(calls, 'github', 'repos/delete').map((c) => c.status);
    expect(githubDeletes[0]).toBe(0);
    expect(githubDeletes.at(-1)).toBe(204);
    const rollbackJob = (await Job.fromId(queues.rollback, `${runId}-rollback-1`))!;
    expect(rollbackJob.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(rollbackJob.processedOn).toBeGreaterThan(killedAt);
  });

  it('When 10 POSTs for the same client race (case variants of its id), then all get the same run and each resource exists once', async () => {
    const from = (await h.sandboxCalls()).length;
    await spawnWorker();
    const req = buildRequest();
    const variants = [req.clientId, req.clientId.toLowerCase(), req.clientId.toUpperCase()];
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.request('POST', '/api/provisioning', { body: { ...req, clientId: variants[i % variants.length] } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const runIds = new Set(answers.map((a) => a.body.runId));
    expect(runIds.size).toBe(1);
    const [runId] = [...runIds] as [string];

    const done = await h.waitForRun(runId, FINAL, 20_000);
    expect(done.state).toBe('succeeded');
    expectProvisionedOnce(await h.sandboxState(), await callsSince(from), req.clientId);
    const runs = await h.request('GET', `/api/provisioning?clientId=${req.clientId.toLowerCase()}`);
    expect(runs.body.runs).toHaveLength(1);
    // Already provisioned now: a further POST is refused, whatever the case.
    expect(
      (await h.request('POST', '/api/provisioning', { body: { ...req, clientId: req.clientId.toUpperCase() } })).status,
    ).toBe(409);
  });

  it('When no worker runs, then a POST is still answered 202 and the run waits queued; a worker started later finishes it', async () => {
    const from = (await h.sandboxCalls()).length;
    // No worker process runs, and the harness has none in-process: nothing can take the run, so
    // there is no window to wait out; what a worker would take is checked as it stands.
    expect(workers.alive()).toBe(0);
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    expect(posted.status).toBe(202);
    const runId: string = posted.body.runId;

    const waiting = await h.getRun(runId);
    expect(waiting.state).toBe('queued');
    expect(waiting.steps.map((s: any) => s.state)).toEqual(Array(6).fill('pending'));
    // In Redis, untouched: the three independent steps wait for a worker (prioritized: a new run's
    // first creates go after the work of runs in flight), the others wait for them.
    const jobStates: Record<string, string> = {};
    for (const step of ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup', 'finalize']) {
      jobStates[step] = await (await Job.fromId(queues.provision, `${runId}-g1-${step}`))!.getState();
    }
    expect(jobStates).toEqual({
      supabase: 'prioritized',
      github: 'prioritized',
      n8n: 'prioritized',
      database: 'waiting-children',
      vercel: 'waiting-children',
      backup: 'waiting-children',
      finalize: 'waiting-children',
    });
    expect(await callsSince(from)).toEqual([]);

    await spawnWorker();
    const done = await h.waitForRun(runId, FINAL, 20_000);
    expect(done.state).toBe('succeeded');
    expectProvisionedOnce(await h.sandboxState(), await callsSince(from), req.clientId);
  });
});
