import { buildRequest } from '../../test/support/factories.js';
import { ONE_OF_EACH } from '../../test/support/harness.js';
import { startBareFlow } from '../bare-flow.js';
import { inProcessSteps } from '../in-process.js';
import type { ScenarioResult } from '../report.js';
import { notIn, resourcesNot, runAll } from '../runs.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import { REDIS_URL, type RunView, type Stack } from '../stack.js';
import { max } from '../stats.js';

export interface ThroughputOptions {
  runs: number;
  concurrency: number;
  pollIntervalMs: number;
  timeoutMs: number;
}

/**
 * Runs posted at once with zero-latency providers and no limits, first with one worker process,
 * then with two, beside the rate of a bare flow of the same shape. Rate = runs ÷ (last run
 * finished − first POST).
 */
export async function throughput(stack: Stack, o: ThroughputOptions): Promise<ScenarioResult> {
  if (stack.workers.length !== 1) throw new Error('throughput starts with one worker process');
  const bare = await startBareFlow(REDIS_URL, o.concurrency);
  const bareMs = await bare.many(o.runs).finally(() => bare.close());
  const bareRate = o.runs / (bareMs / 1000);
  // What the providers themselves allow on this machine: the six steps in-process, as many at once as
  // one worker runs (the sandbox's Supabase does real Postgres work, so "zero latency" is not zero).
  const stepsMs = await inProcessSteps(stack.sandboxUrl, o.pollIntervalMs).many(
    Array.from({ length: o.runs }, () => buildRequest()),
    o.concurrency,
  );
  const stepsRate = o.runs / (stepsMs / 1000);
  // Between measures the sandbox's projects are checked and deleted: each is a real database.
  const problems: string[] = [];
  const check = async (views: RunView[], requests: ProvisionRequest[]) => {
    problems.push(...notIn('succeeded', views), ...resourcesNot(ONE_OF_EACH, await stack.sandbox.state(), requests));
    await stack.deleteProjects();
  };
  await stack.deleteProjects();
  const measure = async () => {
    const requests = Array.from({ length: o.runs }, () => buildRequest());
    const t0 = Date.now();
    const { views } = await runAll(stack, requests, o.timeoutMs);
    const ms = max(views.map((v) => Date.parse(v.finishedAt ?? ''))) - t0;
    await check(views, requests);
    return { rate: o.runs / (ms / 1000), ms };
  };
  const one = await measure();
  await stack.addWorker();
  const two = await measure();
  const scenario = 'throughput';
  const half = bareRate / 2;
  return {
    name: scenario,
    settings: { runs: o.runs, ...stack.options },
    rows: [
      { scenario, figure: `bare BullMQ flow, ${o.runs} at once`, value: bareRate, unit: 'runs/s' },
      {
        scenario,
        figure: `the six steps in-process, ${o.concurrency} at a time (the providers' own pace)`,
        value: stepsRate,
        unit: 'runs/s',
      },
      {
        scenario,
        figure: '1 worker process',
        value: one.rate,
        unit: 'runs/s',
        target: `≥ ${half.toFixed(1)} (half the bare flow's)`,
        pass: one.rate >= half,
      },
      {
        scenario,
        figure: '2 worker processes',
        value: two.rate,
        unit: 'runs/s',
        target: `≥ ${half.toFixed(1)} and > 1 worker's`,
        pass: two.rate >= half && two.rate > one.rate,
      },
    ],
    data: {
      inProcess: { ms: stepsMs, rate: stepsRate },
      bare: { ms: bareMs, rate: bareRate },
      oneWorker: { ms: one.ms, rate: one.rate },
      twoWorkers: { ms: two.ms, rate: two.rate },
    },
    problems,
  };
}
