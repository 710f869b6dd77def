import { UnrecoverableError, type Job } from 'bullmq';
import { AppError, encodeReason, isAppError, RetryableStepError } from '../shared/errors.js';
import { recordStepDuration } from '../shared/metrics.js';
import type { RunStore } from '../runs/run-store.js';
import type { StepJobData, StepJobResult } from '../runs/run.types.js';
import type { StepDefinition } from '../steps/step.types.js';
import { createStepContext, type ContextDeps } from '../runs/step-context.js';

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
  const log = deps.logger.child({
    runId,
    clientId: job.data.request.clientId,
    step: name,
    jobId: job.id,
    attempt: job.attemptsStarted,
  });
  let startedAt: number | undefined;
  /** The step's own time, once it got past its checks: measured, and logged with how it ended. */
  const finished = () => {
    if (startedAt === undefined) return {};
    const durationMs = Math.round(performance.now() - startedAt);
    recordStepDuration(name, durationMs / 1000);
    return { durationMs };
  };
  try {
    if (!step) throw new AppError('INTERNAL', `unknown step ${name}`);
    const failedDeps = Object.keys(await job.getIgnoredChildrenFailures());
    if (failedDeps.length) throw new AppError('DEPENDENCY_FAILED', `not run: a step it needs failed`);
    const run = await deps.store.get(runId);
    if (!run) throw new AppError('NOT_FOUND', `run ${runId} does not exist`);
    if (run.state !== 'queued' && run.state !== 'running')
      throw new AppError('INVALID_STATE', `run is ${run.state}; step not run`);
    if (run.stepJobs[name] !== job.id)
      throw new AppError('INVALID_STATE', `job ${job.id} is not the run's current ${name} job`);
    await deps.store.transition(runId, ['queued'], 'running', { startedAt: new Date().toISOString() });
    if (!job.data.resources)
      await job.updateData({ ...job.data, resources: {}, startedAt: job.data.startedAt ?? new Date().toISOString() });

    log.info({ event: 'started' }, 'step started');
    startedAt = performance.now();
    const ctx = createStepContext(deps, run, job, signal);
    const result = await step.execute(ctx);
    await ctx.record({ resources: result.resources, ...(result.secrets ? { secrets: result.secrets } : {}) });
    log.info({ event: result.outcome === 'skipped' ? 'skipped' : 'succeeded', ...finished() }, 'step finished');
    return {
      outcome: result.outcome,
      resources: job.data.resources ?? result.resources,
      sealed: job.data.sealed ?? {},
    };
  } catch (e) {
    const err = isAppError(e)
      ? e
      : new AppError('INTERNAL', e instanceof Error ? e.message : String(e), { retryable: true });
    const event = err.retryable && job.attemptsStarted < (job.opts.attempts ?? 1) ? 'retrying' : 'failed';
    log.warn({ event, code: err.code, retryable: err.retryable, ...finished() }, `step failed: ${err.message}`);
    if (!err.retryable) throw new UnrecoverableError(encodeReason(err));
    throw new RetryableStepError(encodeReason(err), err.retryAfterMs);
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
