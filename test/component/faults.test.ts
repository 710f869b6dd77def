import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/shared/providers.js';
import type { TransportFault } from '../../src/sandbox/framework/faults.js';
import type { StepName } from '../../src/steps/step-graph.js';
import { buildRequest } from '../support/factories.js';
import { ONE_OF_EACH, resourceCounts, resourcesOf, startHarness, type Harness } from '../support/harness.js';

/**
 * Issue 3, item 2: a transient fault on any create still ends in exactly one of each resource.
 *
 * Fault rules are global per operationId within one sandbox, and every run calls every create,
 * so each create operation gets a lane of its own: its own harness (sandbox, worker, API, queue
 * prefix), running one case at a time, so a `times: 1` rule is consumed by the run it was added
 * for. The lanes run side by side: one test per fault kind runs that fault on every lane at once.
 */
const CREATES: { provider: ProviderName; operationId: string; step: StepName }[] = [
  { provider: 'supabase', operationId: 'v1-create-a-project', step: 'supabase' },
  { provider: 'github', operationId: 'repos/create-using-template', step: 'github' },
  { provider: 'vercel', operationId: 'createProject', step: 'vercel' },
  { provider: 'vercel', operationId: 'createDeployment', step: 'vercel' },
  { provider: 'n8n', operationId: 'createWorkflow', step: 'n8n' },
  { provider: 'gitea', operationId: 'repoCreateFile', step: 'backup' },
];
const TRANSIENT: TransportFault[] = ['http500', 'http502', 'http429', 'timeout', 'reset', 'lost-response'];
const FINAL = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];

const ENV = {
  SANDBOX_TIME_SCALE: '0.01',
  STEP_BACKOFF_MS: '50',
  // Below the sandbox's scaled hold of a `timeout` fault (120 s × 0.01), so the client gives up first.
  PROVIDER_TIMEOUT_MS: '1000',
  // Room for the injected fault plus a call or two that a loaded machine makes slower than the timeout.
  STEP_ATTEMPTS: '6',
};

const lanes = new Map<string, Harness>();
const laneKey = (c: (typeof CREATES)[number]) => `${c.provider}:${c.operationId}`;

beforeAll(async () => {
  const started = await Promise.allSettled(CREATES.map(async (c) => lanes.set(laneKey(c), await startHarness(ENV))));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
});
// A case that fails before its run used its `times: 1` rule up leaves it in force: clear every
// lane, so that no rule reaches the next fault kind's runs.
afterEach(async () => {
  await Promise.all([...lanes.values()].map((h) => h.clearFaults()));
});
afterAll(async () => {
  await Promise.all([...lanes.values()].map((h) => h.close()));
});

interface CaseResult {
  lane: string;
  problems: string[];
}

/** One run with `fault` injected once on the lane's create; the problems found, if any. */
async function runCase(c: (typeof CREATES)[number], fault: TransportFault): Promise<CaseResult> {
  const lane = laneKey(c);
  const h = lanes.get(lane)!;
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => void (ok || problems.push(what));

  const callsBefore = (await h.sandboxCalls()).length;
  const req = buildRequest();
  await h.addFaults([{ provider: c.provider, operationId: c.operationId, fault, times: 1 }]);
  const posted = await h.request('POST', '/api/provisioning', { body: req });
  check(posted.status === 202, `POST answered ${posted.status}`);
  const run = await h.waitForRun(posted.body.runId, FINAL, 45_000);
  const state = await h.sandboxState();
  const creates = (await h.sandboxCalls())
    .slice(callsBefore)
    .filter((x: any) => x.provider === c.provider && x.operationId === c.operationId);

  check(
    run.state === 'succeeded',
    `run ended ${run.state}: ${JSON.stringify(run.error ?? run.steps.filter((s: any) => s.error))}`,
  );
  const mine = resourcesOf(state, req.clientId);
  const counts = resourceCounts(state, req.clientId);
  check(
    JSON.stringify(counts) === JSON.stringify(ONE_OF_EACH),
    `resources ${JSON.stringify(counts)}, want one of each`,
  );
  const deployments = (state.vercel?.deployments ?? []).filter((d: any) =>
    mine.vercel.some((p: any) => p.id === d.projectId),
  );
  check(deployments.length === 1, `${deployments.length} Vercel deployments of the project, want 1`);

  const played = creates.filter((x: any) => x.fault === fault);
  check(played.length === 1, `the ${fault} fault was played ${played.length} times on ${c.operationId}, want 1`);
  const step = run.steps.find((s: any) => s.name === c.step);
  // `skipped` is "found already done": after a lost response (or a retried create slower than the
  // client's timeout, on a loaded machine) the next attempt finds the resource by name.
  check(['succeeded', 'skipped'].includes(step?.state), `step ${c.step} is ${step?.state}`);
  if (fault === 'http429') {
    // A rate limit is no failure: the step waited for the window without spending an attempt.
    check(
      step?.rateLimit?.waitedMs > 0,
      `step ${c.step} shows no rate-limit wait (${JSON.stringify(step?.rateLimit)})`,
    );
  } else {
    check(step?.attempts >= 2, `step ${c.step} made ${step?.attempts} attempts, want >= 2 (the fault fails the first)`);
  }
  if (fault === 'lost-response') {
    // The create happened and its answer was lost: the retried step found it by its derived name
    // instead of creating it again.
    check(
      creates.length === 1,
      `${c.operationId} was called ${creates.length} times, want 1 (the retry finds it by name)`,
    );
  } else {
    // The faulted call created nothing (a timeout is given up by the client, the emulator never
    // answers): a retry creates it. Exactly one resource (checked above) whatever the retries.
    const statuses = creates.map((x: any) => x.status).join(', ');
    check(
      creates.length >= 2,
      `${c.operationId} was called ${creates.length} times (${statuses}), want the faulted call and a retry`,
    );
    check(creates[0]?.fault === fault, `the first ${c.operationId} was not the faulted one (${statuses})`);
    check(
      creates.slice(1).some((x: any) => x.status >= 200 && x.status < 300),
      `no retried ${c.operationId} went through (${statuses})`,
    );
  }
  return { lane, problems };
}

describe('transient faults on a create (issue 3, SPEC 4.2 and 4.5)', () => {
  it.each(TRANSIENT)(
    'When each create fails once with %s, then every run still succeeds with exactly one of each resource',
    async (fault) => {
      const results = await Promise.allSettled(CREATES.map((c) => runCase(c, fault)));
      const report = results.flatMap((r, i) =>
        r.status === 'rejected'
          ? [`${laneKey(CREATES[i]!)}: ${String(r.reason)}`]
          : r.value.problems.map((p) => `${r.value.lane}: ${p}`),
      );
      expect(report).toEqual([]);
    },
    90_000,
  );
});
