import type { NextFunction, Request, Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../shared/errors.js';
import type { RedisClient } from '../shared/redis.js';

/** How many writes a token may make per window (`API_WRITE_LIMIT` per `API_WRITE_WINDOW_S`). */
export interface WriteLimitSettings {
  points: number;
  windowSeconds: number;
}

export const DEFAULT_WRITE_LIMIT: WriteLimitSettings = { points: 30, windowSeconds: 60 };

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Limits each token's writes (every method but GET, HEAD, OPTIONS), counted in Redis so
 * that every API process shares one budget per token name. Past it: `429` with
 * `Retry-After` (seconds). Runs after authentication; reads are not counted.
 */
export function writeLimit(redis: RedisClient, prefix: string, settings: WriteLimitSettings = DEFAULT_WRITE_LIMIT) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:write-limit`,
    points: settings.points,
    duration: settings.windowSeconds,
  });
  return async (req: Request, res: Response, next: NextFunction) => {
    if (READS.has(req.method)) return next();
    try {
      const r = await limiter.consume(req.actor ?? 'anonymous');
      res.setHeader('RateLimit-Policy', `${settings.points};w=${settings.windowSeconds}`);
      res.setHeader('RateLimit', `limit=${settings.points}, remaining=${r.remainingPoints}`);
      next();
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) {
        return next(new AppError('SERVICE_UNAVAILABLE', 'the write limiter cannot reach Redis', { cause: e }));
      }
      const seconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(seconds));
      next(
        new AppError(
          'RATE_LIMITED',
          `token ${req.actor ?? ''} made more than ${settings.points} writes in ${settings.windowSeconds} s; retry in ${seconds} s`,
          { details: { retryAfterSeconds: seconds } },
        ),
      );
    }
  };
}
