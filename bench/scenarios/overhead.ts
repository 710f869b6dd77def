import { buildRequest } from '../../test/support/factories.js';
import { ONE_OF_EACH } from '../../test/support/harness.js';
import { startBareFlow } from '../bare-flow.js';
import { criticalPath } from '../floor.js';
import { inProcessSteps } from '../in-process.js';
import type { ScenarioResult } from '../report.js';
import { notIn, resourcesNot, runOne } from '../runs.js';
import { REDIS_URL, type Stack } from '../stack.js';
import { median, percentile } from '../stats.js';

export interface OverheadOptions {
  runs: number;
  warmup: number;
  pollIntervalMs: number;
  concurrency: number;
}

const STEPS = 6;
export const OVERHEAD_TARGET_MS = 5;

/**
 * Runs one after another with zero-latency providers, and beside each the same six steps
 * in-process and a bare flow of the same shape, interleaved so that the machine's noise falls
 * on all three alike. Overhead per step = (run median − in-process median) / 6.
 */
export async function overhead(stack: Stack, o: OverheadOptions): Promise<ScenarioResult> {
  const inProcess = inProcessSteps(stack.sandboxUrl, o.pollIntervalMs);
  const bare = await startBareFlow(REDIS_URL, o.concurrency);
  const run: number[] = [];
  const server: number[] = [];
  const steps: number[] = [];
  const stepsPath: number[] = [];
  const flow: number[] = [];
  const product: Awaited<ReturnType<typeof runOne>>[] = [];
  try {
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const r = await runOne(stack, buildRequest(), 120_000);
      const s = await inProcess.run(buildRequest());
      const f = await bare.one();
      if (i < o.warmup) continue;
      product.push(r);
      run.push(Date.parse(r.view.finishedAt ?? '') - r.postedAt);
      server.push(Date.parse(r.view.finishedAt ?? '') - Date.parse(r.view.createdAt));
      steps.push(s.totalMs);
      stepsPath.push(criticalPath(s.steps));
      flow.push(f);
    }
  } finally {
    await bare.close();
  }
  const problems = [
    ...notIn(
      'succeeded',
      product.map((r) => r.view),
    ),
    ...resourcesNot(
      ONE_OF_EACH,
      await stack.sandbox.state(),
      product.map((r) => r.request),
    ),
  ];
  const perStep = (median(run) - median(steps)) / STEPS;
  // The run does three branches at once; the in-process steps go one after another. Against their
  // own critical path (three steps and the flow's root), what the queue adds shows undiluted.
  const perPathStep = (median(run) - median(stepsPath)) / 3;
  const scenario = 'overhead';
  return {
    name: scenario,
    settings: { runs: o.runs, warmup: o.warmup, ...stack.options, pollIntervalMs: o.pollIntervalMs },
    rows: [
      {
        scenario,
        figure: `run, POST → succeeded, median (p95), ${o.runs} runs`,
        value: `${fmt(median(run))} (${fmt(percentile(run, 95))})`,
        unit: 'ms',
      },
      {
        scenario,
        figure: 'the six steps in-process, median (p95)',
        value: `${fmt(median(steps))} (${fmt(percentile(steps, 95))})`,
        unit: 'ms',
      },
      {
        scenario,
        figure: 'bare BullMQ flow, 7 jobs, median (p95)',
        value: `${fmt(median(flow))} (${fmt(percentile(flow, 95))})`,
        unit: 'ms',
      },
      {
        scenario,
        figure: 'overhead per step, at the median',
        value: perStep,
        unit: 'ms',
        target: `≤ ${OVERHEAD_TARGET_MS} ms`,
        pass: perStep <= OVERHEAD_TARGET_MS,
      },
      {
        scenario,
        figure: 'stricter, per step on the critical path: (run − in-process critical path) ÷ 3',
        value: perPathStep,
        unit: 'ms',
      },
    ],
    data: {
      runMs: run,
      runServerMs: server,
      inProcessMs: steps,
      inProcessCriticalPathMs: stepsPath,
      bareFlowMs: flow,
      median: { run: median(run), inProcess: median(steps), bareFlow: median(flow) },
      p95: { run: percentile(run, 95), inProcess: percentile(steps, 95), bareFlow: percentile(flow, 95) },
      overheadPerStepMs: perStep,
      overheadPerCriticalPathStepMs: perPathStep,
    },
    problems,
  };
}

const fmt = (x: number) => String(Math.round(x));
