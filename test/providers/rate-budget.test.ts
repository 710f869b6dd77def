import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { budgetCall, createRateBudget, type BudgetRule } from '../../src/providers/rate-budget.js';
import type { AppError } from '../../src/shared/errors.js';
import { failure } from '../support/expect-helpers.js';

/** The shared rate budgets against the real Redis: what a call may spend, and what the answers say. */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(async () => {
  const keys = await redis.keys('tb*:budget:*');
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const rule = (window: BudgetRule['window'], points = 3): BudgetRule => ({
  id: `test-${window}`,
  provider: 'supabase',
  points,
  windowMs: 60_000,
  window,
  describe: `${points} a minute`,
  applies: () => true,
  key: (c) => `${c.identity}:${c.operation}`,
  remainingFromHeaders: (h) =>
    h('x-ratelimit-remaining') === undefined ? undefined : Number(h('x-ratelimit-remaining')),
});
const TIME_SCALE = { supabase: 1, github: 1, vercel: 1, n8n: 1, gitea: 1 };
const budgetWith = (r: BudgetRule) =>
  createRateBudget({
    redis,
    prefix: `tb${randomUUID().slice(0, 8)}`,
    timeScale: TIME_SCALE,
    maxInlineWaitMs: 0,
    rules: [r],
  });
const call = (operation = 'createProject') => budgetCall('supabase', 'user-1', operation, 'POST');

describe('rate budgets', () => {
  it('When a budget is spent, then the next call is handed back as a rate limit with the wait until the window ends', async () => {
    const budget = budgetWith(rule('fixed'));
    for (let i = 0; i < 3; i++) await budget.acquire(call());

    const err: AppError = await failure(budget.acquire(call()));

    expect(err.code).toBe('PROVIDER_RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(50_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(61_300);
    // Another endpoint has a budget of its own.
    await expect(budget.acquire(call('getProject'))).resolves.toBeUndefined();
  });

  it('When an answer says less is left than we counted, then the budget takes the provider at its word', async () => {
    const budget = budgetWith(rule('fixed', 10));
    await budget.acquire(call());

    await budget.observe(call(), 200, (name) => (name === 'x-ratelimit-remaining' ? '0' : undefined));

    expect((await failure(budget.acquire(call()))).code).toBe('PROVIDER_RATE_LIMITED');
  });

  it('When a sliding window refuses a call, then nothing is counted and the window still ends one window after the last call let through', async () => {
    const budget = budgetWith(rule('sliding', 2));
    await budget.acquire(call());
    await budget.acquire(call());

    const first = await failure(budget.acquire(call()));
    const second = await failure(budget.acquire(call()));

    expect(first.retryAfterMs).toBeGreaterThan(50_000);
    // A refusal did not move the end of the window (a wait carries up to 25 ms of jitter).
    expect(second.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs! + 25);
  });
});

describe('rate budgets on a tiny time scale', () => {
  it('When the scaled window is shorter than a second, then its key still expires and the budget reopens', async () => {
    const prefix = `tb${randomUUID().slice(0, 8)}`;
    const tiny = { supabase: 0.001, github: 1, vercel: 1, n8n: 1, gitea: 1 };
    const budget = createRateBudget({ redis, prefix, timeScale: tiny, maxInlineWaitMs: 0, rules: [rule('fixed', 1)] });
    await budget.acquire(call());
    await budget.observe(call(), 200, (name) => (name === 'x-ratelimit-remaining' ? '0' : undefined));

    const keys = await redis.keys(`${prefix}:budget:*`);
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
  });
});

describe('rate budgets of both kinds on one Redis client', () => {
  it('When fixed and sliding budgets share a client, then each keeps its own counting (a refusal stores nothing in a sliding one)', async () => {
    const prefix = `tb${randomUUID().slice(0, 8)}`;
    const sliding = rule('sliding', 1);
    // Made last: with one shared client its script would have replaced the sliding one's.
    const fixed = { ...rule('fixed', 1), id: 'test-fixed-other', key: (c: any) => `other:${c.operation}` };
    const budget = createRateBudget({
      redis,
      prefix,
      timeScale: TIME_SCALE,
      maxInlineWaitMs: 0,
      rules: [sliding, fixed],
    });
    await budget.acquire(call());
    expect((await failure(budget.acquire(call()))).code).toBe('PROVIDER_RATE_LIMITED');

    const [key] = await redis.keys(`${prefix}:budget:test-sliding:*`);
    expect(await redis.zcard(key!)).toBe(1);
    await budget.close();
  });
});

describe('sliding budgets count a call until its answer', () => {
  // A minute at this scale is 300 ms; a request may be on its way for 10 s.
  const scale = { supabase: 0.005, github: 1, vercel: 1, n8n: 1, gitea: 1 };
  const slidingBudget = () =>
    createRateBudget({
      redis,
      prefix: `tb${randomUUID().slice(0, 8)}`,
      timeScale: scale,
      maxInlineWaitMs: 0,
      inFlightMs: 10_000,
      rules: [rule('sliding', 1)],
    });
  const windowOver = () => new Promise((r) => setTimeout(r, 400));

  it('When a call is still on its way after a window, then it still counts (it may not have arrived yet)', async () => {
    const budget = slidingBudget();
    await budget.acquire(call());

    await windowOver();

    expect((await failure(budget.acquire(call()))).code).toBe('PROVIDER_RATE_LIMITED');
  });

  it('When a call was answered, then it counts for one window from its answer and no longer', async () => {
    const budget = slidingBudget();
    const lease = await budget.acquire(call());
    await budget.observe(call(), 200, () => undefined, lease);
    expect((await failure(budget.acquire(call()))).code).toBe('PROVIDER_RATE_LIMITED');

    await windowOver();

    await expect(budget.acquire(call())).resolves.toBeDefined();
  });

  it('When a later budget hands a call back, then what an earlier sliding budget reserved for it is released', async () => {
    const prefix = `tb${randomUUID().slice(0, 8)}`;
    const fixed = { ...rule('fixed', 1), id: 'test-fixed-after' };
    const budget = createRateBudget({
      redis,
      prefix,
      timeScale: TIME_SCALE,
      maxInlineWaitMs: 0,
      rules: [rule('sliding', 5), fixed],
    });
    await budget.acquire(call());

    expect((await failure(budget.acquire(call()))).code).toBe('PROVIDER_RATE_LIMITED');

    const [key] = await redis.keys(`${prefix}:budget:test-sliding:*`);
    expect(await redis.zcard(key!)).toBe(1);
  });
});
