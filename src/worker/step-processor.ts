import { UnrecoverableError, type Job } from 'bullmq';
import { readableReason } from '../shared/error-words.js';
import { AppError, isAppError, RetryableStepError, toErrorView } from '../shared/errors.js';
import type { RunStore } from '../runs/run-store.js';
import type { StepJobData, StepJobResult } from '../runs/run.types.js';
import type { StepDefinition } from '../steps/step.types.js';
import { createStepContext, type ContextDeps } from '../runs/step-context.js';
import { recordFailure } from '../runs/step-failures.js';

/** A job this processor will not run (its run is over, or it is not the run's job): nothing is recorded. */
const REFUSED = { refused: true };

export interface StepProcessorDeps extends ContextDeps {
  store: RunStore;
  steps: ReadonlyMap<string, StepDefinition>;
}

/**
 * Runs one step job: refuses to act when the run is no longer provisioning or a
 * dependency failed, runs the step's idempotent `execute`, and turns its error into
 * a retry (retryable) or a final failure (`UnrecoverableError`) with a stable code.
 */
export async function processStep(
  deps: StepProcessorDeps,
  job: Job<StepJobData>,
  signal?: AbortSignal,
): Promise<StepJobResult> {
  const { runId, step: name } = job.data;
  const step = deps.steps.get(name);
  const log = deps.logger.child({ runId, step: name, jobId: job.id, attempt: job.attemptsStarted });
  try {
    if (!step) throw new AppError('INTERNAL', `unknown step ${name}`);
    const failedDeps = Object.keys(await job.getIgnoredChildrenFailures());
    if (failedDeps.length) throw new AppError('DEPENDENCY_FAILED', `not run: a step it needs failed`);
    const run = await deps.store.get(runId);
    if (!run) throw new AppError('NOT_FOUND', `run ${runId} does not exist`, { details: REFUSED });
    if (run.state !== 'queued' && run.state !== 'running')
      throw new AppError('INVALID_STATE', `run is ${run.state}; step not run`, { details: REFUSED });
    if (run.stepJobs[name] !== job.id)
      throw new AppError('INVALID_STATE', `job ${job.id} is not the run's current ${name} job`, { details: REFUSED });
    await deps.store.transition(runId, ['queued'], 'running', { startedAt: new Date().toISOString() });
    if (!job.data.resources)
      await job.updateData({ ...job.data, resources: {}, startedAt: job.data.startedAt ?? new Date().toISOString() });

    log.info('step started');
    const ctx = createStepContext(deps, run, job, signal);
    const result = await step.execute(ctx);
    await ctx.record({ resources: result.resources, ...(result.secrets ? { secrets: result.secrets } : {}) });
    log.info({ outcome: result.outcome }, 'step finished');
    return {
      outcome: result.outcome,
      resources: job.data.resources ?? result.resources,
      sealed: job.data.sealed ?? {},
    };
  } catch (e) {
    const err = isAppError(e)
      ? e
      : new AppError('INTERNAL', e instanceof Error ? e.message : String(e), { retryable: true });
    log.warn({ code: err.code, retryable: err.retryable }, `step failed: ${err.message}`);
    // The code is kept in the job's data; the reason BullMQ keeps (and Bull Board shows) is words.
    const view = toErrorView(err);
    if (err.details !== REFUSED)
      await recordFailure(job, view).catch((e: unknown) => log.warn({ err: e }, 'could not record the failure'));
    if (!err.retryable) throw new UnrecoverableError(readableReason(view));
    throw new RetryableStepError(readableReason(view), err.retryAfterMs);
  }
}

/**
 * Backoff for step jobs: exponential from the configured delay with jitter, never
 * shorter than what a provider asked for (retry-after), at most ten minutes.
 */
export function providerBackoff(baseMs: number) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const exp = baseMs * 2 ** Math.max(0, attemptsMade - 1);
    const jittered = exp * (0.8 + Math.random() * 0.4);
    const asked = err instanceof RetryableStepError ? (err.retryAfterMs ?? 0) : 0;
    return Math.min(600_000, Math.max(jittered, asked));
  };
}
