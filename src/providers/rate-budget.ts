import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../shared/errors.js';
import { duplicateRedis, type RedisClient } from '../shared/redis.js';
import type { ProviderName } from '../shared/providers.js';
import type { HttpMethod } from './http-method.js';
import { BUDGET_RULES, type BudgetCall, type BudgetRule } from './rate-budget.rules.js';

/**
 * The providers' rate limits as budgets shared by every worker, held in Redis by
 * rate-limiter-flexible (one fixed-window limiter per rule, keyed by the scope the
 * provider counts). A call takes its points before it is sent; when a budget is spent
 * it waits for the next window, and an answer's remaining-budget headers correct what
 * we counted. A wait longer than `maxInlineWaitMs` is handed back as PROVIDER_RATE_LIMITED
 * with `retryAfterMs`, so the job can step aside (moved to delayed) instead of holding
 * a worker slot.
 */
export interface RateBudget {
  acquire(call: BudgetCall, signal?: AbortSignal): Promise<void>;
  observe(call: BudgetCall, status: number, headers: HeaderReader): Promise<void>;
  close(): Promise<void>;
}

export type HeaderReader = (name: string) => string | undefined;
export type { BudgetCall, BudgetRule };

export interface RateBudgetOptions {
  redis: RedisClient;
  /** Keys live under `${prefix}:budget:`, beside the queues. */
  prefix: string;
  /** Per provider: how the documented windows are scaled (the sandbox's time scale; 1 for live). */
  timeScale: Readonly<Record<ProviderName, number>>;
  /** Points per window by rule id, replacing the documented defaults. */
  points?: Readonly<Record<string, number>>;
  /** A wait for budget longer than this is handed back to the job instead of slept in place. */
  maxInlineWaitMs: number;
  /** Told of every wait for budget, for metrics. */
  onWait?: (provider: ProviderName, ms: number) => void;
  rules?: readonly BudgetRule[];
}

/**
 * Windows are made a little longer than the provider's (2% + 20 ms): our window opens
 * when we send, the provider's when it receives, so ours must not close first. At least
 * one second: rate-limiter-flexible sets no expiry on a window shorter than that (it
 * rounds the duration down to whole seconds to choose its path), and such a key would
 * never reopen.
 */
const windowSeconds = (windowMs: number, scale: number, window: BudgetRule['window']) =>
  Math.max(1, (windowMs * scale * 1.02 + 20 + (window === 'sliding' ? SLIDING_GUARD_MS : 0)) / 1000);

/**
 * A sliding window counts a request when it arrives, ours when it is let through: under load the
 * two can be hundreds of milliseconds apart (a 500-client burst on two cores met 418 refusals of
 * GitHub's content limits with no guard), so a sliding budget's window is this much longer again.
 */
const SLIDING_GUARD_MS = 500;

/**
 * rate-limiter-flexible's own increment script, with millisecond expiry taken from the
 * limiter's duration (ARGV[4], fractional seconds) so that time-scaled windows of a few
 * seconds keep their length; the stock script rounds to whole seconds.
 */
const FIXED_WINDOW = `
local ms = math.floor(tonumber(ARGV[4]) * 1000)
redis.call('set', KEYS[1], 0, 'PX', ms, 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('pexpire', KEYS[1], ms)
  ttl = ms
end
return {consumed, ttl}
`;

/**
 * For a provider that counts the last N ms (a sliding window): a request let through moves our
 * window's end to N ms after it, and a refused one stores nothing, so a new window only opens
 * once every request of the old one has left the provider's count.
 */
const SLIDING_SAFE_WINDOW = `
local ms = math.floor(tonumber(ARGV[4]) * 1000)
local consumed = tonumber(redis.call('get', KEYS[1]) or '0') + tonumber(ARGV[1])
if consumed <= tonumber(ARGV[3]) then
  redis.call('set', KEYS[1], consumed, 'PX', ms)
  return {consumed, ms}
end
return {consumed, redis.call('pttl', KEYS[1])}
`;

export function createRateBudget(options: RateBudgetOptions): RateBudget {
  // rate-limiter-flexible registers its increment script as one command on the client it is given
  // (the last limiter made wins), so each kind of window gets a connection of its own.
  const sliding = duplicateRedis(options.redis);
  sliding.on('error', () => undefined); // surfaced by the calls that fail
  const clientFor = { fixed: options.redis, sliding };
  const rules = (options.rules ?? BUDGET_RULES).map((rule) => {
    const points = options.points?.[rule.id] ?? rule.points;
    const limiter = new RateLimiterRedis({
      storeClient: clientFor[rule.window],
      keyPrefix: `${options.prefix}:budget:${rule.id}`,
      points,
      duration: windowSeconds(rule.windowMs, options.timeScale[rule.provider], rule.window),
      customIncrTtlLuaScript: rule.window === 'sliding' ? SLIDING_SAFE_WINDOW : FIXED_WINDOW,
    });
    return { rule, points, limiter };
  });

  const applicable = (call: BudgetCall) =>
    rules.filter((r) => r.rule.provider === call.provider && r.rule.applies(call));

  return {
    async acquire(call, signal) {
      let waited = 0;
      for (const { rule, limiter } of applicable(call)) {
        const key = rule.key(call);
        const cost = rule.cost?.(call) ?? 1;
        for (;;) {
          try {
            await limiter.consume(key, cost);
            break;
          } catch (e) {
            if (!(e instanceof RateLimiterRes)) throw e;
            const wait = e.msBeforeNext + Math.floor(Math.random() * 25);
            if (waited + wait > options.maxInlineWaitMs) {
              throw new AppError(
                'PROVIDER_RATE_LIMITED',
                `${call.provider} ${call.operation} waits for the ${rule.id} budget (${rule.describe})`,
                {
                  retryable: true,
                  retryAfterMs: wait,
                  details: { provider: call.provider, operation: call.operation, budget: rule.id },
                },
              );
            }
            options.onWait?.(call.provider, wait);
            waited += wait;
            await sleep(wait, undefined, signal ? { signal } : undefined);
          }
        }
      }
    },

    async close() {
      sliding.disconnect();
    },

    async observe(call, _status, header) {
      for (const { rule, points, limiter } of applicable(call)) {
        const remaining = rule.remainingFromHeaders?.(header);
        if (remaining === undefined) continue;
        const key = rule.key(call);
        const ours = (await limiter.get(key))?.consumedPoints ?? 0;
        const theirs = Math.max(0, rule.headerLimit?.(header) ?? points) - remaining;
        if (theirs > ours) await limiter.penalty(key, theirs - ours);
      }
    },
  };
}

/** What a client tells the budget of one request. */
export const budgetCall = (
  provider: ProviderName,
  identity: string,
  operation: string,
  method: HttpMethod,
  scope?: string,
): BudgetCall => ({ provider, identity, operation, method, ...(scope ? { scope } : {}) });

/** Whose budget a credential spends: a short digest, so no token reaches a Redis key. */
export const budgetIdentity = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 16);
