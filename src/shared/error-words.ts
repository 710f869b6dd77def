import type { ErrorView } from './errors.js';

/**
 * What each error code means, in words an operator reads without the source: used by the
 * run console and by the reason a failed job shows in Bull Board. The code itself stays
 * the machine-readable part (ErrorView.code); this is only how it is said.
 */
const WORDS: Record<string, string> = {
  PROVIDER_AUTH_FAILED: 'the provider refused the credential',
  PROVIDER_FORBIDDEN: 'the provider does not allow this operation with this credential',
  PROVIDER_RATE_LIMITED: "the provider's rate limit was reached",
  PROVIDER_UNAVAILABLE: 'the provider was unavailable',
  PROVIDER_TIMEOUT: 'the provider did not answer in time',
  PROVIDER_NOT_FOUND: 'the provider does not know the resource',
  PROVIDER_CONFLICT: 'the provider reported a conflict with an existing resource',
  PROVIDER_REJECTED: 'the provider rejected the request',
  PROVIDER_BAD_RESPONSE: "the provider's answer could not be understood",
  RESOURCE_FAILED: 'the resource failed at the provider',
  RESOURCE_NOT_READY: 'the resource did not become ready in time',
  VERIFICATION_FAILED: 'the result did not pass its checks',
  DEPENDENCY_FAILED: 'not run, because a step it needs failed',
  SECRET_UNAVAILABLE: 'a secret it needs could not be read',
  STEP_CRASHED: 'the worker running it stopped before it finished',
  LOCK_LOST: 'the worker lost the job to another worker before it could create anything',
  RUN_DEADLINE_EXCEEDED: 'the run took longer than RUN_DEADLINE_MS allows',
  ROLLBACK_ABANDONED: 'the rollback was given up before this was undone',
  ROLLBACK_INCOMPLETE: 'some resources could not be removed',
  INVALID_STATE: 'the run was not in a state that allows this',
  NOT_FOUND: 'the run does not exist',
  INTERNAL: 'an unexpected error',
};

/** The code's meaning, e.g. "the provider refused the credential". */
export function errorInWords(error: Pick<ErrorView, 'code'>): string {
  return WORDS[error.code] ?? error.code.toLowerCase().replace(/_/g, ' ');
}

/**
 * One sentence for a failed job's reason: the message, what the code means, whether trying
 * again can help, and the code last, e.g. "Vercel refused VERCEL_TOKEN (403): the provider
 * refused the credential; not retried [PROVIDER_AUTH_FAILED]".
 */
export function readableReason(error: ErrorView): string {
  const retry = error.retryable ? 'retried while attempts remain' : 'not retried';
  return `${error.message}: ${errorInWords(error)}; ${retry} [${error.code}]`;
}
