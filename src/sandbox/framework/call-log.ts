import type { ProviderName } from '../../shared/providers.js';

/** One call an emulator received: no bodies, no headers, no query (nothing secret). */
export interface CallRecord {
  provider: ProviderName;
  operationId: string;
  method: string;
  path: string;
  /** The status answered; 0 when the connection was dropped or never answered. */
  status: number;
  /** The fault that was played, if any. */
  fault?: string;
  /** The rate limit that refused the call (e.g. `per-endpoint`, `secondary-content`), if one did. */
  rateLimited?: string;
  at: string;
}

/** How many answers one rate limit gave on one operation, and with which status. */
export interface RateLimitCount {
  provider: ProviderName;
  operationId: string;
  rule: string;
  status: number;
  count: number;
}

export class CallLog {
  private calls: CallRecord[] = [];
  /** Rate-limited answers, counted apart so that trimming the log loses none. */
  private limited = new Map<string, RateLimitCount>();
  constructor(private readonly max = 50_000) {}

  add(call: CallRecord): void {
    this.calls.push(call);
    if (this.calls.length > this.max) this.calls.splice(0, this.calls.length - this.max);
    if (call.rateLimited === undefined) return;
    const key = [call.provider, call.operationId, call.rateLimited, call.status].join(' ');
    const seen = this.limited.get(key);
    if (seen) seen.count += 1;
    else
      this.limited.set(key, {
        provider: call.provider,
        operationId: call.operationId,
        rule: call.rateLimited,
        status: call.status,
        count: 1,
      });
  }

  list(): CallRecord[] {
    return [...this.calls];
  }

  /** Rate-limited answers per provider, operation, limit and status, since the last reset. */
  rateLimited(): RateLimitCount[] {
    return [...this.limited.values()].map((c) => ({ ...c }));
  }

  clear(): void {
    this.calls = [];
    this.limited.clear();
  }
}
