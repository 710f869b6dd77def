import { AppError } from '../shared/errors.js';
import type { StepContext } from './step.types.js';

export interface WaitOptions {
  /** What is awaited, for the error: "Supabase project client-acme to be ACTIVE_HEALTHY". */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  /** The error when the bound is reached; RESOURCE_NOT_READY (retryable) by default. */
  onTimeout?: () => AppError;
}

/**
 * Asks `probe` every `intervalMs` (through the step's abortable sleep) until it gives a
 * value, for at most `timeoutMs`. A probe ends the wait early by throwing.
 */
export async function waitFor<T>(
  ctx: Pick<StepContext, 'sleep'>,
  options: WaitOptions,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + options.intervalMs > deadline) {
      throw (
        options.onTimeout?.() ??
        new AppError('RESOURCE_NOT_READY', `gave up waiting for ${options.what} after ${options.timeoutMs} ms`, {
          retryable: true,
        })
      );
    }
    await ctx.sleep(options.intervalMs);
  }
}

/** base64 of UTF-8 text, and back (GitHub wraps its base64 in newlines). */
export const toBase64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
export const fromBase64 = (b64: string): string => Buffer.from(b64.replace(/\s+/g, ''), 'base64').toString('utf8');
