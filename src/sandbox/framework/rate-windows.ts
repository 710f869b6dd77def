import type { WindowRule } from '../sandbox-limits.js';

/** The sandbox's clock: `scale` applies SANDBOX_TIME_SCALE to a window. */
export interface Clock {
  now(): number;
  scale(ms: number): number;
}

export interface WindowCount {
  limit: number;
  /** Requests counted in the window, this one included. */
  used: number;
  remaining: number;
  /** Epoch milliseconds when the window ends. */
  resetAt: number;
  /** This request is past the limit. */
  over: boolean;
}

/** Whole seconds to wait for `ms`, rounded up, at least 1 (what a `retry-after` says). */
export const waitSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

const span = (clock: Clock, rule: WindowRule): number => Math.max(1, clock.scale(rule.windowMs));

/**
 * Fixed windows per key: the first request opens a window of the rule's (scaled) length, every
 * request in it counts, and past the limit each one is over until the window ends.
 */
export class FixedWindows {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly clock: Clock) {}

  count(key: string, rule: WindowRule): WindowCount {
    const now = this.clock.now();
    const length = span(this.clock, rule);
    let w = this.windows.get(key);
    if (!w || now >= w.start + length) {
      if (this.windows.size > 10_000) this.windows.clear();
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return {
      limit: rule.limit,
      used: w.count,
      remaining: Math.max(0, rule.limit - w.count),
      resetAt: w.start + length,
      over: w.count > rule.limit,
    };
  }

  clear(): void {
    this.windows.clear();
  }
}

/** Sliding windows per key over weighted entries (a request, or its points). */
export class SlidingWindows {
  private entries = new Map<string, { at: number; cost: number }[]>();

  constructor(private readonly clock: Clock) {}

  /** Milliseconds until `cost` more fits under every rule; 0 when it fits now. Counts nothing. */
  wait(key: string, rules: WindowRule[], cost = 1): number {
    const now = this.clock.now();
    const list = this.entries.get(key) ?? [];
    let wait = 0;
    for (const rule of rules) {
      const length = span(this.clock, rule);
      const inWindow = list.filter((e) => e.at > now - length);
      let total = inWindow.reduce((sum, e) => sum + e.cost, 0);
      // The oldest entries leave first: wait until enough of them have left.
      for (const e of inWindow) {
        if (total + cost <= rule.limit) break;
        total -= e.cost;
        wait = Math.max(wait, e.at + length - now);
      }
      if (total + cost > rule.limit) wait = Math.max(wait, length);
    }
    return wait;
  }

  /** Counts `cost` for `key` now; forgets what is older than `keepMs` (scaled). */
  add(key: string, cost: number, keepMs: number): void {
    const now = this.clock.now();
    const keep = this.clock.scale(keepMs);
    const list = (this.entries.get(key) ?? []).filter((e) => e.at > now - keep);
    list.push({ at: now, cost });
    this.entries.set(key, list);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Requests in flight per key. */
export class InFlight {
  private counts = new Map<string, number>();

  /** A release function when `key` has fewer than `max` in flight (this one then counts), else undefined. */
  enter(key: string, max: number): (() => void) | undefined {
    const counts = this.counts;
    const n = counts.get(key) ?? 0;
    if (n >= max) return undefined;
    counts.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (counts.get(key) ?? 1) - 1;
      if (left > 0) counts.set(key, left);
      else counts.delete(key);
    };
  }

  /** Forgets every count; releases of requests still in flight then count nothing. */
  clear(): void {
    this.counts = new Map();
  }
}
