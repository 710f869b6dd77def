import { STEP_GRAPH, type StepName } from '../src/steps/step-graph.js';
import type { CallRecord } from './floor.js';
import type { PostedRun } from './runs.js';
import type { RunView } from './stack.js';
import { max, median, min, percentile } from './stats.js';

/**
 * Where a fleet's time went, for the JSON: per step, how long it waited in the queue once it could
 * run (ready = posted, or its last dependency finished), how long it ran, and how much of that it was
 * set aside for a rate limit; per provider operation, when its first and last admitted calls arrived;
 * and the step timeline of the run that finished last. All in ms after the first POST.
 */
export interface StepBreakdown {
  queueWaitMs: Spread;
  runMs: Spread;
  setAsideMs: Spread;
}
interface Spread {
  p50: number;
  p95: number;
  max: number;
}
const spread = (xs: number[]): Spread => ({
  p50: Math.round(median(xs)),
  p95: Math.round(percentile(xs, 95)),
  max: Math.round(max(xs)),
});

export function fleetBreakdown(t0: number, posted: PostedRun[], views: RunView[], calls: CallRecord[]) {
  const at = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
  const steps: Partial<Record<StepName, StepBreakdown>> = {};
  for (const node of STEP_GRAPH) {
    const wait: number[] = [];
    const run: number[] = [];
    const aside: number[] = [];
    views.forEach((v, i) => {
      const s = v.steps.find((x) => x.name === node.name);
      if (!s?.startedAt || !s.finishedAt) return;
      const deps = (node.needs as readonly StepName[]).map((d) => at(v.steps.find((x) => x.name === d)?.finishedAt));
      const ready = Math.max(posted[i]!.postedAt, ...deps);
      wait.push(at(s.startedAt) - ready);
      run.push(at(s.finishedAt) - at(s.startedAt));
      aside.push(s.rateLimit?.waitedMs ?? 0);
    });
    steps[node.name] = { queueWaitMs: spread(wait), runMs: spread(run), setAsideMs: spread(aside) };
  }

  const operations: Record<string, { calls: number; refused: number; firstMs: number; lastMs: number }> = {};
  for (const c of calls) {
    const key = `${c.provider} ${c.operationId}`;
    const o = (operations[key] ??= { calls: 0, refused: 0, firstMs: Infinity, lastMs: -Infinity });
    const t = Date.parse(c.at) - t0;
    if (c.rateLimited) o.refused += 1;
    else {
      o.calls += 1;
      o.firstMs = Math.min(o.firstMs, t);
      o.lastMs = Math.max(o.lastMs, t);
    }
  }

  const lastIndex = views.reduce((best, v, i) => (at(v.finishedAt) > at(views[best]!.finishedAt) ? i : best), 0);
  const last = views[lastIndex];
  const lastRun = last && {
    runId: last.runId,
    postedMs: posted[lastIndex]!.postedAt - t0,
    finishedMs: at(last.finishedAt) - t0,
    steps: Object.fromEntries(
      last.steps.map((s) => [
        s.name,
        { startMs: at(s.startedAt) - t0, endMs: at(s.finishedAt) - t0, setAsideMs: s.rateLimit?.waitedMs ?? 0 },
      ]),
    ),
  };
  const postedMs = posted.map((p) => p.postedAt - t0);
  return {
    posting: { firstMs: min(postedMs), lastMs: max(postedMs) },
    steps,
    operations,
    lastRun,
  };
}
