import { expect } from 'vitest';
import type { AppError } from '../../src/shared/errors.js';

/**
 * The bound of a `vi.waitFor` on the sandbox (whose delays are scaled to milliseconds): generous,
 * so that a loaded machine is not a failure; a bound against hanging, not a timing.
 */
export const WAIT = { timeout: 15_000, interval: 10 };

/** Runs a call that must fail and gives back its error; the test fails if the call succeeds. */
export async function failure(p: Promise<unknown>): Promise<AppError> {
  return p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e as AppError,
  );
}
