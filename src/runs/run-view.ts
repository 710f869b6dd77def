import type { Job } from 'bullmq';
import { decodeReason } from '../shared/errors.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import { stepJob } from './run-commands.js';
import type { Queues } from './queues.js';
import type { RunView, StepView } from './run-view.schema.js';
import type { RunRecord, StepJobData, StepJobResult, StepState } from './run.types.js';

export type { RunView, StepView } from './run-view.schema.js';

/** The run as operators see it: the run record joined with its step jobs. Never a secret. */
export async function viewRun(queues: Queues, run: RunRecord): Promise<RunView> {
  const steps: StepView[] = [];
  const resources: RunView['resources'] = {};
  const left: NonNullable<RunView['leftResources']> = {};
  for (const name of STEP_NAMES) {
    const job = await stepJob({ queues }, run, name);
    const view = await viewStep(name, job);
    const comp = run.compensations[name];
    if (comp) {
      view.state = comp.state;
      view.compensation = {
        ...(comp.outcome ? { outcome: comp.outcome } : {}),
        attempts: comp.attempts,
        ...(comp.error ? { error: comp.error } : {}),
        ...(comp.left ? { left: comp.left } : {}),
      };
      if (comp.state === 'compensation_failed') left[name] = comp.left ?? job?.data.resources ?? {};
    }
    const recorded = (job?.returnvalue as StepJobResult | null | undefined)?.resources ?? job?.data.resources;
    if (recorded && Object.keys(recorded).length) resources[name] = recorded;
    steps.push(view);
  }
  return {
    runId: run.runId,
    clientId: run.clientId,
    state: run.state,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(run.error ? { error: run.error } : {}),
    generation: run.generation,
    resources,
    ...(run.state === 'rollback_failed' ? { leftResources: left } : {}),
    steps,
    callbacks: run.callbacks,
  };
}

async function viewStep(name: StepName, job: Job<StepJobData> | undefined): Promise<StepView> {
  if (!job) return { name, state: 'pending', attempts: 0 };
  const state = await job.getState();
  const error = decodeReason(job.failedReason);
  const attempts = (job.data.priorAttempts ?? 0) + (job.attemptsStarted ?? job.attemptsMade);
  const began = job.data.resources !== undefined;
  let stepState: StepState;
  if (state === 'completed')
    stepState = (job.returnvalue as StepJobResult | null)?.outcome === 'skipped' ? 'skipped' : 'succeeded';
  else if (state === 'failed') stepState = error?.code === 'DEPENDENCY_FAILED' ? 'pending' : 'failed';
  else if (state === 'active' || (began && state !== 'waiting-children')) stepState = 'running';
  else stepState = 'pending';
  const notRun = state === 'failed' && error?.code === 'DEPENDENCY_FAILED';
  return {
    name,
    state: stepState,
    attempts: notRun ? 0 : attempts,
    ...(!notRun && (job.data.startedAt ?? job.processedOn)
      ? { startedAt: job.data.startedAt ?? new Date(job.processedOn!).toISOString() }
      : {}),
    ...(job.finishedOn && !notRun ? { finishedAt: new Date(job.finishedOn).toISOString() } : {}),
    ...(error && (stepState === 'failed' || stepState === 'running' || notRun) ? { error } : {}),
  };
}
