import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { readableReason } from '../shared/error-words.js';
import { AppError, isAppError, RetryableStepError, toErrorView } from '../shared/errors.js';
import { recordStepDuration } from '../shared/metrics.js';
import type { RunStore } from '../runs/run-store.js';
import { attemptsOf, type StepJobData, type StepJobResult } from '../runs/run.types.js';
import { REFUSED, StepLedger } from '../runs/step-ledger.js';
import { failpoint } from '../shared/failpoints.js';
import type { StepDefinition } from '../steps/step.types.js';
import { createStepContext, type ContextDeps } from '../runs/step-context.js';
import { recordFailure } from '../runs/step-failures.js';

export interface StepProcessorDeps extends ContextDeps {
  store: RunStore;
  steps: ReadonlyMap<string, StepDefinition>;
  rateLimits: {
    /** How long a step may be set aside for rate limits, from its first start. */
    stepDeadlineMs: number;
    /** A provider's documented window (scaled), when its answer names no wait. */
    windowMs: Readonly<Record<string, number>>;
  };
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
  token?: string,
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
  let ledger: StepLedger | undefined;
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
    ledger = StepLedger.open(
      deps.store,
      run,
      job,
      token ? { token, signal, redis: deps.queues.connection } : undefined,
    );
    await ledger.begin();
    if (job.data.rateLimit?.waitingUntil)
      await job.updateData({ ...job.data, rateLimit: { ...job.data.rateLimit, waitingUntil: undefined } });

    // Started, the run is in flight: if this job comes back to the queue (set aside for a rate limit,
    // retried, stalled) it goes before new runs' first steps, not behind them (flow-builder.ts).
    if (job.priority) await job.changePriority({ priority: 0 });
    log.info({ event: 'started' }, 'step started');
    startedAt = performance.now();
    const ctx = createStepContext(deps, run, name, ledger, signal);
    const result = await step.execute(ctx);
    await ctx.record({ resources: result.resources, ...(result.secrets ? { secrets: result.secrets } : {}) });
    failpoint('step.before-success');
    await ledger.save({
      state: result.outcome === 'skipped' ? 'skipped' : 'succeeded',
      finishedAt: new Date().toISOString(),
      attempts: attemptsOf(job),
    });
    log.info({ event: result.outcome === 'skipped' ? 'skipped' : 'succeeded', ...finished() }, 'step finished');
    return { outcome: result.outcome, resources: ledger.record.resources ?? {}, sealed: ledger.record.sealed ?? {} };
  } catch (e) {
    const err = isAppError(e)
      ? e
      : new AppError('INTERNAL', e instanceof Error ? e.message : String(e), { retryable: true });
    if (err.code === 'PROVIDER_RATE_LIMITED' && token && (await setAside(deps, job, err, token))) {
      log.info(
        { event: 'waiting', waitingUntil: job.data.rateLimit?.waitingUntil },
        `step waits for a rate limit: ${err.message}`,
      );
      throw new DelayedError();
    }
    const final = !err.retryable || job.attemptsStarted >= (job.opts.attempts ?? 1);
    log.warn(
      { event: final ? 'failed' : 'retrying', code: err.code, retryable: err.retryable, ...finished() },
      `step failed: ${err.message}`,
    );
    // The code is kept in the job's data and the run record; the reason BullMQ keeps (and Bull Board shows) is words.
    const view = toErrorView(err);
    if (err.details !== REFUSED) {
      await recordFailure(job, view).catch((e: unknown) => log.warn({ err: e }, 'could not record the failure'));
      // A step that failed before it opened its ledger (one it needs failed) is recorded from its run.
      const failed = ledger ?? (await StepLedger.forJob(deps.store, job).catch(() => undefined));
      await failed
        ?.fail(view, final)
        .catch((e: unknown) => log.warn({ err: e }, 'could not record the failure in the run'));
    }
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

/**
 * A rate limit is no failure: the job is set aside (moved to delayed) until the provider's
 * window reopens, which spends no attempt, as long as that is within the step's deadline.
 * The wait is written to the job first, so the run shows that it waits and until when.
 */
async function setAside(
  deps: StepProcessorDeps,
  job: Job<StepJobData>,
  err: AppError,
  token: string,
): Promise<boolean> {
  const provider = typeof err.details?.provider === 'string' ? err.details.provider : undefined;
  const wait = Math.max(50, err.retryAfterMs ?? deps.rateLimits.windowMs[provider ?? ''] ?? 60_000);
  const firstStart = Date.parse(job.data.startedAt ?? new Date().toISOString());
  const until = Date.now() + wait;
  if (until > firstStart + deps.rateLimits.stepDeadlineMs) return false;
  const prior = job.data.rateLimit ?? { waitedMs: 0, delays: 0 };
  await job.updateData({
    ...job.data,
    rateLimit: {
      waitingUntil: new Date(until).toISOString(),
      ...(provider ? { provider } : {}),
      waitedMs: prior.waitedMs + wait,
      delays: prior.delays + 1,
    },
  });
  await job.moveToDelayed(until, token);
  return true;
}
