import type { EmulatorRuntime, RateLimitVerdict, SandboxRequest } from '../framework/emulator.types.js';
import { FixedWindows, waitSeconds } from '../framework/rate-windows.js';
import { vercelError } from './vercel.errors.js';

/**
 * Vercel's limits: per account (the team of `?teamId=`, else the token's user), per endpoint, in
 * fixed windows; only the endpoints with a rule are limited. Their answers carry
 * `x-ratelimit-limit`, `-remaining` and `-reset` (epoch seconds); over the limit, `429` with the
 * `rate_limited` envelope, its `limit {remaining, reset, resetMs, total}`, and `retry-after`.
 */
export class VercelRateLimits {
  private readonly windows: FixedWindows;

  constructor(
    private readonly runtime: EmulatorRuntime,
    /** Requests with a bad credential are answered 403 before any limit counts them. */
    private readonly authenticated: (req: SandboxRequest) => boolean,
  ) {
    this.windows = new FixedWindows(runtime);
  }

  check(req: SandboxRequest, operationId: string): RateLimitVerdict | undefined {
    const rule = this.runtime.limits.vercel[operationId];
    if (!this.runtime.rateLimits || !rule || !this.authenticated(req)) return undefined;
    const w = this.windows.count(`${req.query.teamId ?? 'user'} ${operationId}`, rule);
    const reset = Math.ceil(w.resetAt / 1000);
    const headers = {
      'x-ratelimit-limit': String(w.limit),
      'x-ratelimit-remaining': String(w.remaining),
      'x-ratelimit-reset': String(reset),
    };
    if (!w.over) return { headers };
    const seconds = waitSeconds(w.resetAt - this.runtime.now());
    const limited = vercelError(
      429,
      'rate_limited',
      `The rate limit of ${w.limit} exceeded for '${operationId}'. Try again in ${seconds} seconds`,
      { limit: { remaining: 0, reset, resetMs: w.resetAt, total: w.limit } },
    );
    return {
      headers,
      refused: { rule: 'per-endpoint', response: { ...limited, headers: { 'retry-after': String(seconds) } } },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
