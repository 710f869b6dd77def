import { buildRequest } from '../../test/support/factories.js';
import { NONE_LEFT, ONE_OF_EACH } from '../../test/support/harness.js';
import { criticalPath } from '../floor.js';
import type { ScenarioResult } from '../report.js';
import { notIn, resourcesNot, runOne, stepDurations } from '../runs.js';
import type { Stack } from '../stack.js';
import { max, median, sum } from '../stats.js';

export interface OneRunOptions {
  runs: number;
  timeoutMs: number;
}

export const ONE_RUN_TARGET = 1.05;

/**
 * One run with the realistic profile: its duration (POST → succeeded) beside its critical path
 * (the longest chain of its own step durations: supabase → database → vercel) and beside the sum
 * of all six. Then one whose last step fails for good (Gitea refuses the backup file, 400), and
 * how long its rollback takes.
 */
export async function oneRun(stack: Stack, o: OneRunOptions): Promise<ScenarioResult> {
  const runs = [];
  for (let i = 0; i < o.runs; i++) runs.push(await runOne(stack, buildRequest(), o.timeoutMs));
  const figures = runs.map((r) => {
    const d = stepDurations(r.view);
    const duration = Date.parse(r.view.finishedAt ?? '') - r.postedAt;
    return { duration, criticalPath: criticalPath(d), sequential: sum(Object.values(d)), steps: d };
  });
  const ratios = figures.map((f) => f.duration / f.criticalPath);

  await stack.sandbox.addFaults([{ provider: 'gitea', operationId: 'repoCreateFile', fault: 'http4xx' }]);
  let failing;
  try {
    failing = await runOne(stack, buildRequest(), o.timeoutMs);
  } finally {
    await stack.sandbox.clearFaults();
  }
  const v = failing.view;
  const backup = v.steps.find((s) => s.name === 'backup');
  const failedAt = Date.parse(backup?.finishedAt ?? '');
  const settledAt = max(v.steps.map((s) => Date.parse(s.finishedAt ?? '') || 0));
  const rolledBackAt = Date.parse(v.finishedAt ?? '');

  const state = await stack.sandbox.state();
  // What the rollback asked of the providers, and when (ms after the last step stopped).
  const rollbackCalls = (await stack.sandbox.calls())
    .map((c) => ({ ...c, afterMs: Date.parse((c as { at?: string }).at ?? '') - settledAt }))
    .filter((c) => c.afterMs >= 0 && c.afterMs <= rolledBackAt - settledAt + 1000)
    .map((c) => `${c.afterMs} ms ${c.provider} ${c.operationId} ${c.status}`);
  const problems = [
    ...notIn(
      'succeeded',
      runs.map((r) => r.view),
    ),
    ...resourcesNot(
      ONE_OF_EACH,
      state,
      runs.map((r) => r.request),
    ),
    ...notIn('rolled_back', [v]),
    ...resourcesNot(NONE_LEFT, state, [failing.request]),
    ...(v.error?.step === 'backup' ? [] : [`the failing run failed in ${v.error?.step ?? 'no step'}, not backup`]),
  ];
  const scenario = 'one-run';
  const ratio = median(ratios);
  const f = figures[ratios.indexOf(ratio)] ?? figures[0]!;
  const s = (ms: number) => ms / 1000;
  return {
    name: scenario,
    settings: { runs: o.runs, ...stack.options },
    rows: [
      { scenario, figure: 'run, POST → succeeded', value: s(f.duration), unit: 's' },
      { scenario, figure: 'its critical path (supabase → database → vercel)', value: s(f.criticalPath), unit: 's' },
      { scenario, figure: 'the sum of its six steps', value: s(f.sequential), unit: 's' },
      {
        scenario,
        figure: 'run ÷ critical path',
        value: ratio,
        unit: '×',
        target: `≤ ${ONE_RUN_TARGET}`,
        pass: ratio <= ONE_RUN_TARGET,
      },
      { scenario, figure: 'rollback: backup fails → rolled_back', value: s(rolledBackAt - failedAt), unit: 's' },
      {
        scenario,
        figure: 'of which the rollback itself: last step stopped → rolled_back',
        value: s(rolledBackAt - settledAt),
        unit: 's',
      },
    ],
    data: {
      runs: figures,
      ratios,
      rollback: {
        runId: v.runId,
        state: v.state,
        failureToRolledBackMs: rolledBackAt - failedAt,
        settledToRolledBackMs: rolledBackAt - settledAt,
        waitForStepsMs: settledAt - failedAt,
        calls: rollbackCalls,
        steps: v.steps,
      },
    },
    problems,
  };
}
