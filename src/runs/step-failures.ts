import type { Job } from 'bullmq';
import { decodeReason, type ErrorView } from '../shared/errors.js';
import type { AttemptFailure, StepJobData } from './run.types.js';

const KEPT_FAILURES = 20;
const STALLED = /stalled more than allowable limit/i;

/**
 * Records a failed attempt in the step job's data: the error with its code (what the run
 * view and rollback read), and the attempt's times (what the console's timeline draws).
 * BullMQ keeps only the thrown message, which is written for people (Bull Board).
 */
export async function recordFailure(job: Job<StepJobData>, error: ErrorView, now = new Date()): Promise<void> {
  const failure: AttemptFailure = {
    attempt: (job.data.priorAttempts ?? 0) + (job.attemptsStarted || job.attemptsMade + 1),
    ...(job.processedOn ? { startedAt: new Date(job.processedOn).toISOString() } : {}),
    failedAt: now.toISOString(),
    code: error.code,
    message: error.message,
    retryable: error.retryable,
  };
  const failedAttempts = [...(job.data.failedAttempts ?? []), failure].slice(-KEPT_FAILURES);
  await job.updateData({ ...job.data, error, failedAttempts });
}

/**
 * A step job's last error. A job that stalled out failed outside the processor; otherwise the
 * error a real attempt recorded wins over the job's reason, which a refused action from Bull
 * Board (a retry of a job whose run is over) may have replaced. Jobs from before errors were
 * recorded carry the code in their reason (`CODE|retryable|message`).
 */
export function jobError(job: Pick<Job<StepJobData>, 'failedReason' | 'data'>): ErrorView | undefined {
  if (!job.failedReason) return undefined;
  if (STALLED.test(job.failedReason)) return decodeReason(job.failedReason);
  return job.data.error ?? decodeReason(job.failedReason);
}
