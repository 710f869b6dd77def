import { isAppError } from '../shared/errors.js';

/**
 * A delete refused for good (a 403, a 400) of a resource that is in fact gone is done: an earlier
 * delete whose answer was lost (a timeout, a dropped connection) may have finished meanwhile, and
 * a rollback that listed the resource as left would send an operator after nothing. So before
 * giving up, look: gone means `false` (nothing deleted now); still there, the refusal stands.
 * A retryable failure is left to the caller's retries, which find the resource again first.
 */
export async function deleteOrGone(del: () => Promise<boolean>, exists: () => Promise<boolean>): Promise<boolean> {
  try {
    return await del();
  } catch (e) {
    if (isAppError(e) && !e.retryable && !(await exists())) return false;
    throw e;
  }
}
