import type { Job } from 'bullmq';
import type { Resources } from '../steps/step.types.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import { stepJob } from './step-ledger.js';
import type { Queues } from './queues.js';
import { jobError } from './step-failures.js';
import type { RunView, StepView } from './run-view.schema.js';
import {
  attemptsOf,
  type RunRecord,
  type SettledStep,
  type StepJobData,
  type StepJobResult,
  type StepRecord,
  type StepState,
} from './run.types.js';

export type { RunView, StepView } from './run-view.schema.js';

/** The run as operators see it: the run record joined with its step jobs. Never a secret. */
export async function viewRun(queues: Queues, run: RunRecord): Promise<RunView> {
  const steps: StepView[] = [];
  const resources: RunView['resources'] = {};
  const left: NonNullable<RunView['leftResources']> = {};
  for (const name of STEP_NAMES) {
    const { view, resources: recorded } = await currentStep(queues, run, name);
    const comp = run.compensations[name];
    if (comp) {
      view.state = comp.state;
      view.compensation = {
        ...(comp.outcome ? { outcome: comp.outcome } : {}),
        attempts: comp.attempts,
        ...(comp.error ? { error: comp.error } : {}),
        ...(comp.left ? { left: comp.left } : {}),
        ...(comp.startedAt ? { startedAt: comp.startedAt } : {}),
        finishedAt: comp.finishedAt,
      };
      if (comp.state === 'compensation_failed') left[name] = comp.left ?? {};
    }
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
    history: run.history,
    callbacks: run.callbacks,
  };
}

/**
 * A step of the run: as it stood when the run settled, when that describes the run's current job
 * for the step (so a job retried or cleaned from Bull Board afterwards changes nothing), else live.
 */
async function currentStep(
  queues: Queues,
  run: RunRecord,
  name: StepName,
): Promise<{ view: StepView; resources?: Resources }> {
  const settled = run.settled?.[name];
  if (settled && settled.jobId === run.stepJobs[name])
    return { view: settled.view as StepView, ...(settled.resources ? { resources: settled.resources } : {}) };
  const job = await stepJob({ queues }, run, name);
  const record = run.steps[name]?.jobId === run.stepJobs[name] ? run.steps[name] : undefined;
  const resources =
    record?.resources ?? (job?.returnvalue as StepJobResult | null | undefined)?.resources ?? job?.data.resources;
  const view = job ? await viewStep(name, job) : recordedStep(name, record);
  return { view, ...(resources ? { resources } : {}) };
}

/** A step whose job is gone (removed by age or count): as its record tells it. */
function recordedStep(name: StepName, record: StepRecord | undefined): StepView {
  if (!record) return { name, state: 'pending', attempts: 0 };
  const notRun = record.error?.code === 'DEPENDENCY_FAILED' && record.state === 'failed';
  return {
    name,
    state: notRun ? 'pending' : record.state,
    attempts: record.attempts,
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.finishedAt && !notRun ? { finishedAt: record.finishedAt } : {}),
    ...(record.error && record.state !== 'succeeded' && record.state !== 'skipped' ? { error: record.error } : {}),
  };
}

/** What `finalize` keeps in the run record once every step job of the run has stopped. */
export async function settleSteps(queues: Queues, run: RunRecord): Promise<Partial<Record<StepName, SettledStep>>> {
  const settled: Partial<Record<StepName, SettledStep>> = {};
  for (const name of STEP_NAMES) {
    const jobId = run.stepJobs[name];
    if (jobId) settled[name] = { jobId, ...(await currentStep(queues, { ...run, settled: {} }, name)) };
  }
  return settled;
}

async function viewStep(name: StepName, job: Job<StepJobData>): Promise<StepView> {
  const state = await job.getState();
  const error = jobError(job);
  const attempts = attemptsOf(job);
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
    ...(job.data.rateLimit
      ? {
          rateLimit: {
            waitedMs: job.data.rateLimit.waitedMs,
            ...(job.data.rateLimit.waitingUntil && state === 'delayed'
              ? { waitingUntil: job.data.rateLimit.waitingUntil }
              : {}),
            ...(job.data.rateLimit.provider ? { provider: job.data.rateLimit.provider } : {}),
          },
        }
      : {}),
    ...(job.data.failedAttempts?.length && !notRun ? { failedAttempts: job.data.failedAttempts } : {}),
    ...(job.processedOn && !notRun ? { lastAttemptAt: new Date(job.processedOn).toISOString() } : {}),
  };
}
