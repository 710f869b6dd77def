import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../shared/errors.js';
import type { RedisClient } from '../shared/redis.js';
import type { ProviderName } from '../shared/providers.js';
import type { HttpMethod } from './http-method.js';
import {
  releaseLease,
  settleLease,
  slidingWindow,
  type SlidingLease,
  type SlidingWindow,
} from './rate-budget.sliding.js';
import { BUDGET_RULES, type BudgetCall, type BudgetRule } from './rate-budget.rules.js';

/**
 * The providers' rate limits as budgets shared by every worker, held in Redis, one per rule,
 * keyed by the scope the provider counts: fixed windows by rate-limiter-flexible, sliding ones
 * (GitHub's secondary limits) as a log of their own (rate-budget.sliding.ts). A call takes its points before it is sent; when a budget is spent
 * it waits for the next window, and an answer's remaining-budget headers correct what
 * we counted. A wait longer than `maxInlineWaitMs` is handed back as PROVIDER_RATE_LIMITED
 * with `retryAfterMs`, so the job can step aside (moved to delayed) instead of holding
 * a worker slot.
 */
export interface RateBudget {
  /** Waits for the call's points; a lease when a sliding budget counted it, to hand back on its answer. */
  acquire(call: BudgetCall, signal?: AbortSignal): Promise<BudgetLease | undefined>;
  /** The call's answer: corrects the fixed budgets from its headers and settles the lease. */
  observe(call: BudgetCall, status: number, headers: HeaderReader, lease?: BudgetLease): Promise<void>;
  close(): Promise<void>;
}

/** What a call took of the sliding budgets: they count it from its answer on (rate-budget.sliding.ts). */
export interface BudgetLease {
  sliding: SlidingLease[];
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
  /**
   * The longest a request can be on its way before its answer (the providers' timeout): until
   * answered, a sliding budget counts it as arriving that late.
   */
  inFlightMs?: number;
}

const DEFAULT_IN_FLIGHT_MS = 60_000;

/**
 * Fixed windows are made a little longer than the provider's (2% + 20 ms): ours opens when we
 * let the first request through, the provider's when it arrives, so ours must not close first.
 * At least one second: rate-limiter-flexible sets no expiry on a window shorter than that (it
 * rounds the duration down to whole seconds to choose its path), and such a key would never
 * reopen. Sliding windows need no margin (rate-budget.sliding.ts says why).
 */
const fixedWindowSeconds = (windowMs: number, scale: number) => Math.max(1, (windowMs * scale * 1.02 + 20) / 1000);

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

export function createRateBudget(options: RateBudgetOptions): RateBudget {
  const inFlightMs = options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS;
  const rules = (options.rules ?? BUDGET_RULES).map((rule) => {
    const points = options.points?.[rule.id] ?? rule.points;
    const scale = options.timeScale[rule.provider];
    const keyPrefix = `${options.prefix}:budget:${rule.id}`;
    const counter: Counter =
      rule.window === 'sliding'
        ? { kind: 'sliding', take: slidingWindow(options.redis, points, rule.windowMs * scale, inFlightMs), keyPrefix }
        : {
            kind: 'fixed',
            limiter: new RateLimiterRedis({
              storeClient: options.redis,
              keyPrefix,
              points,
              duration: fixedWindowSeconds(rule.windowMs, scale),
              customIncrTtlLuaScript: FIXED_WINDOW,
            }),
          };
    return { rule, points, counter };
  });

  const applicable = (call: BudgetCall) =>
    rules.filter((r) => r.rule.provider === call.provider && r.rule.applies(call));

  /** Takes the points of one rule, or says how long until it could (ms). */
  const take = async (counter: Counter, key: string, cost: number): Promise<SlidingLease | number | undefined> => {
    if (counter.kind === 'sliding') {
      const got = await counter.take(`${counter.keyPrefix}:${key}`, cost);
      return 'lease' in got ? got.lease : got.waitMs;
    }
    try {
      await counter.limiter.consume(key, cost);
      return undefined;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return e.msBeforeNext;
    }
  };

  return {
    async acquire(call, signal) {
      let waited = 0;
      const leases: SlidingLease[] = [];
      for (const { rule, counter } of applicable(call)) {
        const key = rule.key(call);
        const cost = rule.cost?.(call) ?? 1;
        for (;;) {
          const got = await take(counter, key, cost);
          if (typeof got !== 'number') {
            if (got) leases.push(got);
            break;
          }
          const wait = got + Math.floor(Math.random() * 25);
          if (waited + wait > options.maxInlineWaitMs) {
            // The call is not sent now: what sliding budgets reserved for it goes back (fixed
            // windows keep what they counted, as a provider that counts refusals would).
            await Promise.all(leases.map((l) => releaseLease(options.redis, l).catch(() => undefined)));
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
      return leases.length ? { sliding: leases } : undefined;
    },

    async close() {
      // The Redis connection is the caller's.
    },

    async observe(call, _status, header, lease) {
      if (lease) await Promise.all(lease.sliding.map((l) => settleQuietly(options.redis, l)));
      for (const { rule, points, counter } of applicable(call)) {
        if (counter.kind !== 'fixed') continue;
        const remaining = rule.remainingFromHeaders?.(header);
        if (remaining === undefined) continue;
        const key = rule.key(call);
        const ours = (await counter.limiter.get(key))?.consumedPoints ?? 0;
        const theirs = Math.max(0, rule.headerLimit?.(header) ?? points) - remaining;
        if (theirs > ours) await counter.limiter.penalty(key, theirs - ours);
      }
    },
  };
}

type Counter =
  { kind: 'fixed'; limiter: RateLimiterRedis } | { kind: 'sliding'; take: SlidingWindow; keyPrefix: string };

/** Settling only shortens a reservation; if it fails, the request counts until its reservation ends. */
const settleQuietly = (redis: RedisClient, lease: SlidingLease) => settleLease(redis, lease).catch(() => undefined);

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
