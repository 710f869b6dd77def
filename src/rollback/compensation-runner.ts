import { setTimeout as sleep } from 'node:timers/promises';
import { backOff } from 'exponential-backoff';
import { isAppError, toErrorView, type ErrorView } from '../shared/errors.js';
import type { CompensationContext, CompensationOutcome, StepDefinition } from '../steps/step.types.js';

export interface CompensationAttempt {
  ok: boolean;
  outcome?: CompensationOutcome;
  attempts: number;
  error?: ErrorView;
}

export interface CompensationOptions {
  /** Tries for real failures (a 5xx, a timeout); a rate limit spends none. */
  attempts: number;
  /** First backoff; doubled each try, with full jitter. */
  backoffMs: number;
  /** How long one compensation may wait for providers' rate limits in all. */
  maxRateLimitWaitMs: number;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * One compensation, retried with jittered exponential backoff (exponential-backoff)
 * until it succeeds, answers "not found" (done), fails for good, or runs out of tries.
 * A rate limit is no failure: the call waits out the provider's window (its retry-after)
 * and goes again without spending a try, within `maxRateLimitWaitMs`.
 * Never throws: the rollback goes on with the other compensations either way.
 */
export async function runCompensation(
  step: StepDefinition,
  ctx: CompensationContext,
  options: CompensationOptions,
): Promise<CompensationAttempt> {
  if (!step.compensate) return { ok: true, attempts: 0 };
  const compensate = (c: CompensationContext) => step.compensate!(c);
  let tries = 0;
  let waitedMs = 0;
  const once = async (): Promise<CompensationOutcome> => {
    tries++;
    for (;;) {
      try {
        return await compensate(ctx);
      } catch (e) {
        const wait = rateLimitWait(e);
        if (wait === undefined || waitedMs + wait > options.maxRateLimitWaitMs) throw e;
        ctx.log.info({ waitMs: wait }, 'compensation rate-limited: waiting for the provider window');
        waitedMs += wait;
        await sleep(wait, undefined, { signal: ctx.signal });
      }
    }
  };
  try {
    const outcome = await backOff(once, {
      numOfAttempts: options.attempts,
      startingDelay: options.backoffMs,
      maxDelay: MAX_BACKOFF_MS,
      jitter: 'full',
      retry: (e: unknown, next: number) => {
        const view = toErrorView(e);
        ctx.log.warn(
          { attempt: next - 1, code: view.code, retryable: view.retryable },
          `compensation failed: ${view.message}`,
        );
        return view.retryable && !ctx.signal.aborted;
      },
    });
    return { ok: true, outcome, attempts: tries };
  } catch (e) {
    return { ok: false, attempts: tries, error: toErrorView(e) };
  }
}

/** How long a rate-limited answer asks us to wait, or undefined for any other error. */
function rateLimitWait(e: unknown): number | undefined {
  if (!isAppError(e) || e.code !== 'PROVIDER_RATE_LIMITED') return undefined;
  return Math.max(e.retryAfterMs ?? 1000, 50);
}
