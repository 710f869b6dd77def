import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { ONE_OF_EACH, resourceCounts, startHarness, type Harness } from '../support/harness.js';

/**
 * Issue 7: a burst of clients at the providers' pace. The sandbox enforces the providers'
 * documented limits (time-scaled); the workers share budgets for them in Redis, so the
 * burst waits for the providers' windows instead of being refused.
 */
const CLIENTS = 100;
const FINAL = ['succeeded', 'rolled_back', 'rollback_failed'];

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SANDBOX_TIME_SCALE: '0.01', SANDBOX_RATE_LIMITS: 'on' });
});
afterAll(async () => h?.close());

describe('a fleet', () => {
  it(`When ${CLIENTS} clients are posted at once with the providers' limits on, then every run succeeds with one of each resource and no request is refused for a rate limit`, async () => {
    const requests = Array.from({ length: CLIENTS }, () => buildRequest());

    const posted = await Promise.all(requests.map((body) => h.request('POST', '/api/provisioning', { body })));
    expect(posted.map((p) => p.status)).toEqual(Array(CLIENTS).fill(202));
    const runs = await Promise.all(posted.map((p) => h.waitForRun(p.body.runId, FINAL, 240_000)));

    expect(runs.filter((r) => r.state !== 'succeeded').map((r) => [r.clientId, r.state, r.error])).toEqual([]);
    const state = await h.sandboxState();
    const notOne = requests
      .map((r) => ({ clientId: r.clientId, counts: resourceCounts(state, r.clientId) }))
      .filter((c) => JSON.stringify(c.counts) !== JSON.stringify(ONE_OF_EACH));
    expect(notOne).toEqual([]);
    const refused = (await h.sandboxCalls()).filter(
      (c: any) => c.status === 429 || (c.provider === 'github' && c.status === 403),
    );
    expect(refused.map((c: any) => `${c.provider} ${c.operationId} ${c.status}`)).toEqual([]);
  }, 300_000);
});
