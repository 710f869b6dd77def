import type { ErrorView } from '../../shared/errors.js';
import { errorInWords } from '../../shared/error-words.js';
import { html, type Html } from './html.js';

/** Whether anything will try again, said for where the error stands. */
export function retryVerdict(error: ErrorView, where: 'attempt' | 'step' | 'run' | 'compensation', runState: string) {
  if (error.code === 'DEPENDENCY_FAILED') return 'Not run, so nothing to retry here.';
  if (where === 'attempt') return error.retryable ? 'Retried.' : 'Not retried: trying again would fail the same way.';
  if (where === 'step' && runState === 'running' && error.retryable)
    return 'Will be retried automatically while attempts remain.';
  if (where === 'compensation' || error.code === 'ROLLBACK_INCOMPLETE')
    return runState === 'rollback_failed'
      ? 'Not retried automatically: fix the cause, then retry the rollback.'
      : 'Retried by the rollback while attempts remain.';
  if (runState === 'failed')
    return error.retryable
      ? 'Out of attempts. Retrying the run may succeed: it resumes from this step.'
      : 'Not retried: fix the cause first (a retry would fail the same way), then retry the run, or roll it back.';
  if (runState === 'rolling_back' || runState === 'rolled_back') return 'Not retried: the run was rolled back.';
  return error.retryable ? 'Retryable.' : 'Not retryable.';
}

/** An error in words, with its message, its code and whether it will be retried. */
export function errorText(
  error: ErrorView & { step?: string },
  where: 'attempt' | 'step' | 'run' | 'compensation',
  runState: string,
): Html {
  return html`<span class="error-text"
    >${error.step ? html`<strong>${error.step}</strong>: ` : ''}${capitalise(errorInWords(error))}.
    <span class="error-message">${error.message}</span>
    <span class="error-meta">Code <code>${error.code}</code>. ${retryVerdict(error, where, runState)}</span></span
  >`;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
