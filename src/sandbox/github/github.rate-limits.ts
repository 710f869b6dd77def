import type { EmulatorRuntime } from '../framework/emulator.types.js';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Unauthenticated callers share a much smaller primary limit. */
const ANONYMOUS_LIMIT = 60;
/** Secondary limit on content-creating requests, per token. */
const CONTENT_PER_MINUTE = 80;
const CONTENT_PER_HOUR = 500;

export interface PrimaryStatus {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  exhausted: boolean;
}

interface Window {
  start: number;
  count: number;
}

/**
 * GitHub's primary limit (requests per token per hour, a fixed window) and its secondary limit
 * on content creation (80 a minute, 500 an hour, sliding). Every window is scaled by the time scale.
 */
export class GithubRateLimits {
  private primary = new Map<string, Window>();
  private content = new Map<string, number[]>();

  constructor(
    private readonly runtime: EmulatorRuntime,
    private readonly primaryLimit: number,
  ) {}

  /** Counts one request against `key` (a token, or undefined for anonymous) and says where it stands. */
  count(key: string | undefined): PrimaryStatus {
    const limit = key === undefined ? ANONYMOUS_LIMIT : this.primaryLimit;
    const id = key ?? '(anonymous)';
    const now = this.runtime.now();
    let w = this.primary.get(id);
    if (!w || now >= w.start + this.runtime.scale(HOUR_MS)) {
      w = { start: now, count: 0 };
      this.primary.set(id, w);
    }
    w.count += 1;
    return {
      limit,
      used: Math.min(w.count, limit),
      remaining: Math.max(0, limit - w.count),
      reset: Math.ceil((w.start + this.runtime.scale(HOUR_MS)) / 1000),
      exhausted: w.count > limit,
    };
  }

  /** Whether `key` has used up its primary limit in the current window (after `count`). */
  isExhausted(key: string): boolean {
    const w = this.primary.get(key);
    return w !== undefined && this.runtime.now() < w.start + this.runtime.scale(HOUR_MS) && w.count > this.primaryLimit;
  }

  /** Seconds to wait when `token` is over the content-creation limit; otherwise counts the request. */
  takeContent(token: string): number | undefined {
    const now = this.runtime.now();
    const hour = this.runtime.scale(HOUR_MS);
    const minute = this.runtime.scale(MINUTE_MS);
    const stamps = (this.content.get(token) ?? []).filter((t) => t > now - hour);
    this.content.set(token, stamps);
    const inMinute = stamps.filter((t) => t > now - minute);
    const waitUntil =
      inMinute.length >= CONTENT_PER_MINUTE
        ? inMinute[inMinute.length - CONTENT_PER_MINUTE]! + minute
        : stamps.length >= CONTENT_PER_HOUR
          ? stamps[stamps.length - CONTENT_PER_HOUR]! + hour
          : undefined;
    if (waitUntil !== undefined) return Math.max(1, Math.ceil((waitUntil - now) / 1000));
    stamps.push(now);
    return undefined;
  }

  reset(): void {
    this.primary.clear();
    this.content.clear();
  }
}
