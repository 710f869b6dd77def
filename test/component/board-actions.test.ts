import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';

/** Bull Board stays for queue-level work: it reads well, and what is done there never rewrites a run. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ROLLBACK_ON_FAILURE: 'manual' });
});
afterEach(async () => {
  await h.clearFaults();
});
afterAll(async () => {
  await h?.close();
});

const FINAL = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];
const boardJob = async (queue: string, jobId: string) =>
  (await h.request('GET', `/admin/queues/api/queues/${queue}/${jobId}`)).body as { job: any; status: string };

async function provision(faulty = false) {
  if (faulty) await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', times: 1 }]);
  const req = buildRequest();
  const posted = await h.request('POST', '/api/provisioning', { body: req });
  const run = await h.waitForRun(posted.body.runId, FINAL);
  return { req, run };
}

describe('Bull Board', () => {
  it("When a run's jobs are read in the board, then each is named by what it does and for which client", async () => {
    const { req, run } = await provision();
    expect(run.state).toBe('succeeded');
    for (const what of ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup', 'finalize']) {
      const { job } = await boardJob('provision', `${run.runId}-g1-${what}`);
      expect(job.name).toBe(`${what} · ${req.clientId}`);
    }
    await h.request('POST', `/api/provisioning/${run.runId}/rollback`);
    await h.waitForRun(run.runId, ['rolled_back', 'rollback_failed']);
    const { job } = await boardJob('rollback', `${run.runId}-rollback-1`);
    expect(job.name).toBe(`rollback · ${req.clientId}`);
    expect(job.data.clientId).toBe(req.clientId);
  });

  it('When a step fails for good, then the board shows its reason in words without a stack, and the API still reads its code', async () => {
    const { run } = await provision(true);
    expect(run.state).toBe('failed');
    const vercel = run.steps.find((s: any) => s.name === 'vercel');
    expect(vercel.error).toMatchObject({ code: 'PROVIDER_REJECTED', retryable: false });
    expect(run.error).toMatchObject({ step: 'vercel', code: 'PROVIDER_REJECTED', retryable: false });

    const { job } = await boardJob('provision', `${run.runId}-g1-vercel`);
    expect(job.failedReason).not.toMatch(/^[A-Z_]+\|/);
    expect(job.failedReason).toBe(
      `${vercel.error.message}: the provider rejected the request; not retried [PROVIDER_REJECTED]`,
    );
    expect(job.stacktrace).toEqual([]);
  });

  it("When an admin retries a rolled-back run's failed job from the board, then the run, the step's error and its attempts stay as they were", async () => {
    const { run } = await provision(true);
    await h.request('POST', `/api/provisioning/${run.runId}/rollback`);
    const before = await h.waitForRun(run.runId, ['rolled_back', 'rollback_failed']);
    expect(before.state).toBe('rolled_back');
    const jobId = `${run.runId}-g1-vercel`;

    const retried = await h.request('PUT', `/admin/queues/api/queues/provision/${jobId}/retry`);
    expect(retried.status).toBe(204);
    // The step processor refuses the job (the run is over), which fails it again with its own reason.
    await expect
      .poll(async () => {
        const { job, status } = await boardJob('provision', jobId);
        return `${status}: ${job.failedReason}`;
      })
      .toMatch(/^failed: run is rolled_back; step not run/);

    expect(await h.getRun(run.runId)).toEqual(before);
  });

  it("When an admin retries and cleans a succeeded run's jobs from the board, then the run still reads succeeded with every step and resource", async () => {
    const { run: before } = await provision();
    expect(before.state).toBe('succeeded');
    const supabaseJob = `${before.runId}-g1-supabase`;

    expect((await h.request('PUT', `/admin/queues/api/queues/provision/${supabaseJob}/retry`)).status).toBe(204);
    expect((await h.request('PUT', `/admin/queues/api/queues/provision/${before.runId}-g1-github/clean`)).status).toBe(
      204,
    );
    await expect.poll(async () => (await boardJob('provision', supabaseJob)).status).toBe('failed');

    expect(await h.getRun(before.runId)).toEqual(before);
  });
});
