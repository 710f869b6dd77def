/**
 * SPEC 4 under a process dying at each seam of a run's life (src/shared/failpoints.ts): a worker
 * started with FAILPOINTS=<seam> dies there (SIGKILL, by itself), a clean worker is started, and
 * the run still ends in a true final state: succeeded with exactly one of each resource, or
 * rolled back with nothing of the client left. Locks are short so a dead worker's job is taken
 * back in seconds; the reconciler looks every half second at runs quiet for a second.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FailpointName } from '../../src/shared/failpoints.js';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, ONE_OF_EACH, resourceCounts, startHarness, type Harness } from '../support/harness.js';
import { workerChildren } from '../support/worker-children.js';

let h: Harness;
const workers = workerChildren(() => h);
const FINAL = ['succeeded', 'rolled_back', 'rollback_failed'];
/** A bound against hanging on a loaded machine, not a timing. */
const WAIT = { timeout: 30_000, interval: 20 };

beforeAll(async () => {
  h = await startHarness(
    {
      SANDBOX_TIME_SCALE: '0.05',
      LOCK_DURATION_MS: '2000',
      STALLED_INTERVAL_MS: '1000',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_QUIET_MS: '1000',
      PROVIDER_TIMEOUT_MS: '8000',
    },
    { worker: false },
  );
});

afterEach(async (ctx) => {
  await workers.afterTest(ctx.task.result?.state === 'fail');
  await h?.clearFaults();
});

afterAll(async () => {
  await workers.killAll();
  await h?.close();
});

/** Seams on the way to success, and the state the run must end in. */
const SUCCESS_PATH: FailpointName[] = ['step.before-record', 'step.before-success'];
/** Seams only a failing run passes (Vercel refuses for good, so the run rolls back). */
const FAILURE_PATH: FailpointName[] = [
  'finalize.after-failed',
  'run.after-transition',
  'rollback.after-compensation',
  'rollback.before-final',
];

/** The process's state letter from /proc (T: stopped). */
const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
const CREATES = [
  ['supabase', 'v1-create-a-project'],
  ['github', 'repos/create-using-template'],
  ['vercel', 'createProject'],
  ['n8n', 'createWorkflow'],
  ['gitea', 'repoCreateFile'],
] as const;

describe('a worker that loses its lock (issue 8)', () => {
  it('When a worker stalls right before a create and another takes its job over, then on resuming it creates nothing and records nothing', async () => {
    const from = (await h.sandboxCalls()).length;
    const stalled = await workers.spawn({ FAILPOINTS: 'step.before-create=pause' });
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const runId: string = posted.body.runId;
    await vi.waitFor(() => expect(processState(stalled.proc.pid!), 'stopped before a create').toBe('T'), WAIT);

    await workers.spawn();
    const done = await h.waitForRun(runId, FINAL, 60_000);
    expect(done.state).toBe('succeeded');

    stalled.proc.kill('SIGCONT');
    // Resumed, it finds the job's lock is not its own any more, and stops the step there.
    await vi.waitFor(() => expect(stalled.output.join('')).toContain('LOCK_LOST'), WAIT);
    const after = await h.getRun(runId);
    expect(after.state).toBe('succeeded');
    expect(after.resources).toEqual(done.resources);
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(ONE_OF_EACH);
    const calls = (await h.sandboxCalls()).slice(from);
    for (const [provider, op] of CREATES)
      expect(
        calls.filter((c: any) => c.provider === provider && c.operationId === op && c.status >= 200 && c.status < 300),
        `${op} created once`,
      ).toHaveLength(1);
  });
});

/** Each seam, and how a run that passes it must end: seams on the failure path see Vercel refuse for good. */
const SEAMS: [FailpointName, 'succeeded' | 'rolled_back'][] = [
  ...SUCCESS_PATH.map((seam) => [seam, 'succeeded'] as [FailpointName, 'succeeded']),
  ...FAILURE_PATH.map((seam) => [seam, 'rolled_back'] as [FailpointName, 'rolled_back']),
];

describe('a worker killed at each failpoint (SPEC 4.2, 4.3, 4.6)', () => {
  it.each(SEAMS)(
    'When the worker dies at %s, then a fresh worker finishes the run, which ends %s and true to the providers',
    async (seam, outcome) => {
      if (outcome === 'rolled_back')
        await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
      const doomed = await workers.spawn({ FAILPOINTS: seam });
      const req = buildRequest();
      const posted = await h.request('POST', '/api/provisioning', { body: req });
      expect(posted.status).toBe(202);
      await doomed.exited;
      expect(doomed.proc.signalCode, 'the worker died at the failpoint').toBe('SIGKILL');

      await workers.spawn();
      const done = await h.waitForRun(posted.body.runId, FINAL, 60_000);
      expect(done.state).toBe(outcome);
      if (outcome === 'rolled_back') expect(done.error).toMatchObject({ step: 'vercel' });
      expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(
        outcome === 'succeeded' ? ONE_OF_EACH : NONE_LEFT,
      );
    },
  );
});
