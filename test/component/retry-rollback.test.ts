import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, ONE_OF_EACH, resourceCounts, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  // Finished jobs are removed as soon as they finish: retries, rollbacks and tear-downs work
  // from the run record alone (issue 8).
  h = await startHarness({ ROLLBACK_ON_FAILURE: 'manual', JOB_RETENTION_COUNT: '1' });
});
// Faults outlive a test that fails before its run used them up: none may reach the next test.
afterEach(async () => {
  await h?.clearFaults();
});
afterAll(async () => {
  await h?.close();
});

describe('with ROLLBACK_ON_FAILURE=manual', () => {
  it('When n8n refuses once for good, then the run waits in failed; a retry resumes from the failed step without re-running the others', async () => {
    const req = buildRequest();
    await h.addFaults([{ provider: 'n8n', operationId: 'createWorkflow', fault: 'http4xx', status: 400, times: 1 }]);
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const failed = await h.waitForRun(posted.body.runId, ['failed', 'succeeded']);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ step: 'n8n', retryable: false });
    const byName = (run: any) => Object.fromEntries(run.steps.map((s: any) => [s.name, s.state]));
    expect(byName(failed)).toEqual({
      supabase: 'succeeded',
      database: 'succeeded',
      github: 'succeeded',
      vercel: 'succeeded',
      n8n: 'failed',
      backup: 'pending',
    });

    // While it waits in failed, the client is still in flight: a POST answers with this run.
    const again = await h.request('POST', '/api/provisioning', { body: req });
    expect(again.body.runId).toBe(posted.body.runId);

    const callsBefore = (await h.sandboxCalls()).filter((c: any) => c.operationId === 'v1-create-a-project').length;
    const retry = await h.request('POST', `/api/provisioning/${posted.body.runId}/retry`);
    expect(retry.status).toBe(202);
    const done = await h.waitForRun(posted.body.runId, ['succeeded', 'failed']);
    expect(done.state).toBe('succeeded');
    expect(done.generation).toBe(2);
    expect(done.error).toBeUndefined();
    expect(done.steps.find((s: any) => s.name === 'n8n').attempts).toBe(2);
    const callsAfter = (await h.sandboxCalls()).filter((c: any) => c.operationId === 'v1-create-a-project').length;
    expect(callsAfter).toBe(callsBefore);
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(ONE_OF_EACH);
  });

  it('When an operator rolls back a failed run, then every resource goes; a second rollback is 409', async () => {
    const req = buildRequest();
    await h.addFaults([{ provider: 'gitea', operationId: 'repoCreateFile', fault: 'http4xx', status: 403, times: 1 }]);
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const failed = await h.waitForRun(posted.body.runId, ['failed', 'succeeded']);
    expect(failed.state).toBe('failed');
    expect(failed.error.step).toBe('backup');
    const rb = await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`);
    expect(rb.status).toBe(202);
    const done = await h.waitForRun(posted.body.runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
    expect((await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`)).status).toBe(409);
    // A rolled-back client can be provisioned again, as a new run.
    const fresh = await h.request('POST', '/api/provisioning', { body: req });
    expect(fresh.status).toBe(202);
    expect(fresh.body.runId).not.toBe(posted.body.runId);
    expect((await h.waitForRun(fresh.body.runId, ['succeeded', 'failed'])).state).toBe('succeeded');
  });

  it('When a succeeded client is torn down, then all its resources go and the run reads rolled_back', async () => {
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    await h.waitForRun(posted.body.runId, ['succeeded']);
    expect((await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`)).status).toBe(202);
    const done = await h.waitForRun(posted.body.runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
  });

  it('When a compensation keeps failing, then the run ends rollback_failed listing exactly what is left, and a retried rollback finishes the job', async () => {
    const req = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    await h.waitForRun(posted.body.runId, ['succeeded']);
    await h.addFaults([{ provider: 'github', operationId: 'repos/delete', fault: 'http500' }]);
    await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`);
    const stuck = await h.waitForRun(posted.body.runId, ['rolled_back', 'rollback_failed']);
    await h.clearFaults();
    expect(stuck.state).toBe('rollback_failed');
    expect(Object.keys(stuck.leftResources)).toEqual(['github']);
    expect(stuck.leftResources.github.name).toBe(`client-${req.clientId.toLowerCase()}-app`);
    expect(stuck.steps.find((s: any) => s.name === 'github').state).toBe('compensation_failed');
    expect(stuck.steps.find((s: any) => s.name === 'supabase').state).toBe('compensated');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual({ ...NONE_LEFT, github: 1 });

    // The client cannot be provisioned again until the rollback is finished.
    expect((await h.request('POST', '/api/provisioning', { body: req })).body.error.code).toBe(
      'CLIENT_NEEDS_ATTENTION',
    );
    expect((await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`)).status).toBe(202);
    const done = await h.waitForRun(posted.body.runId, ['rolled_back', 'rollback_failed']);
    expect(done.state).toBe('rolled_back');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
  });
});
