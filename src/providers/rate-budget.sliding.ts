import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../shared/redis.js';

/**
 * A sliding window as GitHub's secondary limits count it (the last N ms), kept in Redis as a log:
 * one sorted-set member per point, scored with the time the request may at the latest have reached
 * the provider. Taken, a request is scored `now + inFlightMs` (it cannot arrive after its own
 * timeout); answered, its score drops to the time of the answer (it arrived before that). A
 * request is let through when fewer than `limit` points score within the last window.
 *
 * Why this is safe with no guard: every request the provider counts in a window ending at the
 * arrival of ours arrived after that window's start, so its score (never earlier than its
 * arrival) is within the window we look at when we let ours through, which is no later than its
 * arrival. Why it is tight: a request's count ends one window after its answer, not after a
 * guessed delay, so a time-scaled window pays nothing for the machine's latency.
 *
 * rate-limiter-flexible has no limiter whose count can be moved by the answer, hence a script of
 * our own; all times are Redis's, one clock for every worker.
 */
export interface SlidingLease {
  key: string;
  member: string;
  points: number;
}

const TAKE = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost, limit, window, inflight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
local used = redis.call('zcard', KEYS[1])
if used + cost <= limit then
  for i = 1, cost do redis.call('zadd', KEYS[1], now + inflight, ARGV[5] .. ':' .. i) end
  redis.call('pexpire', KEYS[1], inflight + window)
  return {used + cost, 0}
end
local nth = redis.call('zrange', KEYS[1], used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
local wait = tonumber(nth[2]) + window - now
if wait > window then wait = window end
return {used + cost, math.max(1, wait)}
`;

const SETTLE = `
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, tonumber(ARGV[2]) do
  local m = ARGV[1] .. ':' .. i
  local s = redis.call('zscore', KEYS[1], m)
  if s and tonumber(s) > now then redis.call('zadd', KEYS[1], now, m) end
end
return 0
`;

type SlidingRedis = RedisClient & {
  cpSlidingTake(
    key: string,
    cost: number,
    limit: number,
    windowMs: number,
    inFlightMs: number,
    member: string,
  ): Promise<[number, number]>;
  cpSlidingSettle(key: string, member: string, points: number): Promise<number>;
};

/** The scripts, under names of our own so that no other library's defineCommand replaces them. */
function scripts(redis: RedisClient): SlidingRedis {
  const r = redis as SlidingRedis;
  if (typeof r.cpSlidingTake !== 'function') {
    redis.defineCommand('cpSlidingTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('cpSlidingSettle', { numberOfKeys: 1, lua: SETTLE });
  }
  return r;
}

/** Takes `cost` points of a window of `limit` per `windowMs`, or says how long until it could (ms). */
export type SlidingWindow = (key: string, cost: number) => Promise<{ lease: SlidingLease } | { waitMs: number }>;

export function slidingWindow(redis: RedisClient, limit: number, windowMs: number, inFlightMs: number): SlidingWindow {
  const r = scripts(redis);
  const window = Math.max(1, Math.ceil(windowMs));
  return async (key, cost) => {
    const member = randomUUID();
    const [, waitMs] = await r.cpSlidingTake(key, cost, limit, window, inFlightMs, member);
    return waitMs > 0 ? { waitMs } : { lease: { key, member, points: cost } };
  };
}

/** The request was answered: it counts from now on, not from its reservation. */
export async function settleLease(redis: RedisClient, lease: SlidingLease): Promise<void> {
  await scripts(redis).cpSlidingSettle(lease.key, lease.member, lease.points);
}

/** The request was never sent: it does not count at all. */
export async function releaseLease(redis: RedisClient, lease: SlidingLease): Promise<void> {
  const members = Array.from({ length: lease.points }, (_, i) => `${lease.member}:${i + 1}`);
  await redis.zrem(lease.key, ...members);
}
