import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import type { RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import type { LimitOverrides } from '../../src/sandbox/sandbox-limits.js';
import { caller, resetSandbox, startEmulator, type HttpAnswer, type Json } from './emulator-test.harness.js';

export interface LimitedSandbox {
  sandbox: RunningSandbox;
  /** A caller under the provider's prefix with its sandbox credential. */
  call: ReturnType<typeof caller>;
  /** The same, without any credential unless given. */
  anonymous: ReturnType<typeof caller>;
}

/**
 * One emulator with rate limits on (and `limits` overriding the documented ones), started for the
 * enclosing describe block and reset (state and counters) before each of its tests.
 */
export function limitedSandbox(
  factory: EmulatorFactory,
  options: { prefix: string; credential: Record<string, string>; limits?: LimitOverrides; timeScale?: number },
): LimitedSandbox {
  const ctx = {} as LimitedSandbox;
  beforeAll(async () => {
    ctx.sandbox = await startEmulator(factory, {
      rateLimits: true,
      timeScale: options.timeScale ?? 0.01,
      ...(options.limits ? { limits: options.limits } : {}),
    });
    ctx.call = caller(`${ctx.sandbox.url}${options.prefix}`, options.credential);
    ctx.anonymous = caller(`${ctx.sandbox.url}${options.prefix}`);
  });
  afterAll(async () => {
    await ctx.sandbox.close();
  });
  beforeEach(async () => {
    await resetSandbox(ctx.sandbox);
  });
  return ctx;
}

/** `count` calls one after the other (so the counters see them in order); their answers. */
export async function inSequence(count: number, call: (i: number) => Promise<HttpAnswer>): Promise<HttpAnswer[]> {
  const answers: HttpAnswer[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await call(i));
  return answers;
}

/** The value of each named header of `answer` (null when absent), for one `toEqual`. */
export const headersOf = (answer: HttpAnswer, ...names: string[]): Record<string, string | null> =>
  Object.fromEntries(names.map((n) => [n, answer.headers.get(n)]));

/** Whole seconds in a `retry-after` (or a delta-seconds reset); fails when absent or not a positive integer. */
export function secondsIn(answer: HttpAnswer, header: string): number {
  const value = answer.headers.get(header);
  expect(value, `${header} header`).toMatch(/^\d+$/);
  const seconds = Number(value);
  expect(seconds).toBeGreaterThanOrEqual(1);
  return seconds;
}

/** Polls `probe` until its status is no longer `limitedStatus` (the window is over); its answer then. */
export async function afterTheWindow(
  probe: () => Promise<HttpAnswer>,
  limitedStatus: number,
  timeout = 5000,
): Promise<HttpAnswer> {
  let last: HttpAnswer | undefined;
  await expect
    .poll(
      async () => {
        last = await probe();
        return last.status;
      },
      { timeout, interval: 50 },
    )
    .not.toBe(limitedStatus);
  return last!;
}

/** What `/_sandbox/rate-limits` says. */
export async function rateLimitReport(sandbox: RunningSandbox): Promise<Json> {
  return (await fetch(`${sandbox.url}/_sandbox/rate-limits`)).json();
}
