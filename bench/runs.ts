import type { ProvisionRequest } from '../src/shared/provision-request.js';
import type { StepName } from '../src/steps/step-graph.js';
import { resourceCounts, type ResourceCounts } from '../test/support/harness.js';
import type { RunView, Stack } from './stack.js';

/** What the scenarios do with runs: post and await them, read their views, check what they left. */

export interface PostedRun {
  request: ProvisionRequest;
  runId: string;
  postedAt: number;
}

/** Posts `requests` all at once. */
export async function postAll(stack: Stack, requests: ProvisionRequest[]): Promise<PostedRun[]> {
  return Promise.all(requests.map(async (request) => ({ request, ...(await stack.post(request)) })));
}

/** Posts one run, waits until it is final, and reads it. */
export async function runOne(
  stack: Stack,
  request: ProvisionRequest,
  timeoutMs: number,
): Promise<PostedRun & { view: RunView }> {
  const posted = { request, ...(await stack.post(request)) };
  await stack.waitAll([posted.runId], timeoutMs);
  return { ...posted, view: await stack.view(posted.runId) };
}

/**
 * Posts `requests` all at once, waits until every run is final, and reads them (views in posting
 * order); `postedInMs` is how long the posting took, until the last POST was answered.
 */
export async function runAll(
  stack: Stack,
  requests: ProvisionRequest[],
  timeoutMs: number,
): Promise<{ posted: PostedRun[]; postedInMs: number; views: RunView[] }> {
  const t0 = Date.now();
  const posted = await postAll(stack, requests);
  const postedInMs = Date.now() - t0;
  const runIds = posted.map((p) => p.runId);
  await stack.waitAll(runIds, timeoutMs);
  return { posted, postedInMs, views: await viewsOf(stack, runIds) };
}

/** The views of many runs, a few requests at a time. */
export async function viewsOf(stack: Stack, runIds: string[], parallel = 16): Promise<RunView[]> {
  const out: RunView[] = new Array<RunView>(runIds.length);
  let next = 0;
  const lane = async () => {
    while (next < runIds.length) {
      const i = next++;
      out[i] = await stack.view(runIds[i]!);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return out;
}

/**
 * Each step's duration (first start to finish, ms) as the run shows it; with `netOfWaits`, less the
 * time it was set aside for providers' rate limits (what the step itself took).
 */
export function stepDurations(view: RunView, netOfWaits = false): Partial<Record<StepName, number>> {
  return Object.fromEntries(
    view.steps
      .filter((s) => s.startedAt && s.finishedAt)
      .map((s) => [
        s.name,
        Date.parse(s.finishedAt!) - Date.parse(s.startedAt!) - (netOfWaits ? (s.rateLimit?.waitedMs ?? 0) : 0),
      ]),
  );
}

/** Runs not in `state`, as problems to report. */
export function notIn(state: string, views: RunView[]): string[] {
  return views
    .filter((v) => v.state !== state)
    .map(
      (v) =>
        `run ${v.runId} (${v.clientId}) ended ${v.state}, not ${state}${v.error ? `: ${v.error.code} ${v.error.message}` : ''}`,
    );
}

/** Clients whose resources at the providers are not `expected`, as problems to report. */
export function resourcesNot(expected: ResourceCounts, sandboxState: unknown, requests: ProvisionRequest[]): string[] {
  const want = JSON.stringify(expected);
  return requests
    .map((r) => ({ clientId: r.clientId, counts: resourceCounts(sandboxState, r.clientId) }))
    .filter((c) => JSON.stringify(c.counts) !== want)
    .map((c) => `client ${c.clientId} holds ${JSON.stringify(c.counts)}, expected ${want}`);
}
