import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, resourceCounts, startHarness, type Harness } from '../support/harness.js';

/**
 * A rate limit is never a failure (issue 7): a step or a compensation that meets a 429 waits
 * for the provider's window, however long, without spending an attempt. Here Supabase answers
 * 429 (retry-after 1 s) more times than the whole backoff schedule allows attempts.
 */
const STEP_ATTEMPTS = 3;
const COMPENSATION_ATTEMPTS = 3;
const TOO_MANY = STEP_ATTEMPTS + 2;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    STEP_ATTEMPTS: String(STEP_ATTEMPTS),
    COMPENSATION_ATTEMPTS: String(COMPENSATION_ATTEMPTS),
    // Below the 1 s the sandbox asks for: every wait is handed back to BullMQ (the job is set aside).
    RATE_LIMIT_INLINE_WAIT_MS: '0',
  });
});
afterEach(async () => h.clearFaults());
afterAll(async () => h?.close());

const step = (run: any, name: string) => run.steps.find((s: any) => s.name === name);
const rateLimited = async (operationId: string) =>
  (await h.sandboxCalls()).filter((c: any) => c.operationId === operationId && c.status === 429).length;

describe('rate limits', () => {
  it('When Supabase answers 429 for longer than the whole backoff schedule, then the run still succeeds and the waits spent no attempt', async () => {
    const req = buildRequest();
    await h.addFaults([
      { provider: 'supabase', operationId: 'v1-create-a-project', fault: 'http429', times: TOO_MANY },
    ]);

    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'rolled_back', 'rollback_failed'], 60_000);

    expect(run.state).toBe('succeeded');
    expect(await rateLimited('v1-create-a-project')).toBe(TOO_MANY);
    const supabase = step(run, 'supabase');
    // More 429s than attempts, and it succeeded: no 429 spent one (a slow answer on a loaded machine may).
    expect(supabase.attempts).toBeLessThan(TOO_MANY);
    expect(supabase.rateLimit).toMatchObject({ provider: 'supabase' });
    expect(supabase.rateLimit.waitedMs).toBeGreaterThanOrEqual(TOO_MANY * 1000);
    expect(supabase.rateLimit.waitingUntil).toBeUndefined();
    expect(resourceCounts(await h.sandboxState(), req.clientId).supabase).toBe(1);
  });

  it('When Supabase rate-limits the delete during a rollback for longer than the compensation schedule, then the rollback still ends rolled_back', async () => {
    const req = buildRequest();
    await h.addFaults([
      { provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 },
      {
        provider: 'supabase',
        operationId: 'v1-delete-a-project',
        fault: 'http429',
        times: COMPENSATION_ATTEMPTS + 2,
      },
    ]);

    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'rolled_back', 'rollback_failed'], 60_000);

    expect(run.state).toBe('rolled_back');
    expect(await rateLimited('v1-delete-a-project')).toBe(COMPENSATION_ATTEMPTS + 2);
    const compensation = step(run, 'supabase').compensation;
    expect(compensation.outcome).toBe('deleted');
    expect(compensation.attempts).toBeLessThanOrEqual(COMPENSATION_ATTEMPTS);
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
  });
});
