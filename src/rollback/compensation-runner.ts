import { setTimeout as sleep } from 'node:timers/promises';
import { isAppError, toErrorView, type ErrorView } from '../shared/errors.js';
import type { CompensationContext, CompensationOutcome, StepDefinition } from '../steps/step.types.js';

export interface CompensationAttempt {
  ok: boolean;
  outcome?: CompensationOutcome;
  attempts: number;
  error?: ErrorView;
}

/**
 * One compensation, retried with exponential backoff (and a provider's retry-after)
 * until it succeeds, answers "not found" (done), fails for good, or runs out of tries.
 * Never throws: the rollback goes on with the other compensations either way.
 */
export async function runCompensation(
  step: StepDefinition,
  ctx: CompensationContext,
  options: { attempts: number; backoffMs: number },
): Promise<CompensationAttempt> {
  if (!step.compensate) return { ok: true, attempts: 0 };
  let last: ErrorView | undefined;
  let made = 0;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    made = attempt;
    try {
      const outcome = await step.compensate(ctx);
      return { ok: true, outcome, attempts: attempt };
    } catch (e) {
      last = toErrorView(e);
      ctx.log.warn({ attempt, code: last.code, retryable: last.retryable }, `compensation failed: ${last.message}`);
      if (!last.retryable || attempt === options.attempts) break;
      const asked = isAppError(e) ? (e.retryAfterMs ?? 0) : 0;
      await sleep(Math.max(asked, options.backoffMs * 2 ** (attempt - 1)), undefined, { signal: ctx.signal });
    }
  }
  return { ok: false, attempts: made, ...(last ? { error: last } : {}) };
}
