import type { RunView, StepView } from '../runs/run-view.schema.js';

/** How the CLI shows runs and steps in a terminal: plain text, one fact a column. */
const MARK: Record<StepView['state'], string> = {
  pending: '·',
  running: '…',
  succeeded: '✔',
  skipped: '✔',
  failed: '✘',
  compensated: '↺',
  compensation_failed: '✘',
};

export const clock = (d = new Date()) => d.toTimeString().slice(0, 8);

const seconds = (from?: string, to?: string) =>
  from ? `${((Date.parse(to ?? new Date().toISOString()) - Date.parse(from)) / 1000).toFixed(1)} s` : '';

export function stepLine(step: StepView): string {
  const attempts = step.attempts ? `#${step.attempts}` : '';
  const took = step.finishedAt ? seconds(step.startedAt, step.finishedAt) : '';
  const error = step.error && step.state !== 'pending' ? `${step.error.code}: ${step.error.message}` : '';
  const left = step.compensation?.error ? `undo failed: ${step.compensation.error.message}` : '';
  return [step.name.padEnd(9), `${MARK[step.state]} ${step.state}`.padEnd(22), attempts.padEnd(3), took, error, left]
    .filter(Boolean)
    .join('  ');
}

export function runHeader(run: RunView): string {
  return `run ${run.runId}  ${run.clientId}  ${run.state}  ${seconds(run.createdAt, run.finishedAt)}`;
}

/** The run and each of its steps, one a line. */
export function runBlock(run: RunView): string[] {
  return [runHeader(run), ...run.steps.map((s) => `  ${stepLine(s)}`)];
}

export function summary(run: RunView): string {
  const why = run.error ? `: ${run.error.step ?? 'run'} ${run.error.code}: ${run.error.message}` : '';
  const left = run.leftResources ? `; left at the providers: ${Object.keys(run.leftResources).join(', ')}` : '';
  return `run ${run.runId} (${run.clientId}) ${run.state} after ${seconds(run.createdAt, run.finishedAt)}${why}${left}`;
}

export function listLine(run: RunView): string {
  return [
    run.runId,
    run.clientId.padEnd(14),
    run.state.padEnd(15),
    run.createdAt,
    seconds(run.createdAt, run.finishedAt),
  ].join('  ');
}
