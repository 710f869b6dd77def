/**
 * Supabase's Management API limit: 60 requests a minute per token; past it, every call
 * is refused for a minute. Both windows are scaled by the sandbox time scale.
 */
export const SUPABASE_REQUESTS_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

interface TokenWindow {
  hits: number[];
  blockedUntil: number;
}

export class SupabaseRateLimiter {
  private readonly windows = new Map<string, TokenWindow>();

  constructor(
    private readonly now: () => number,
    private readonly scale: (ms: number) => number,
    private readonly limit = SUPABASE_REQUESTS_PER_MINUTE,
  ) {}

  /** Counts one request for the token; true when it must be refused. */
  hit(token: string): boolean {
    const now = this.now();
    const minute = Math.max(1, this.scale(MINUTE_MS));
    const window = this.windows.get(token) ?? { hits: [], blockedUntil: 0 };
    this.windows.set(token, window);
    if (now < window.blockedUntil) return true;
    window.hits = window.hits.filter((t) => now - t < minute);
    if (window.hits.length >= this.limit) {
      window.blockedUntil = now + minute;
      window.hits = [];
      return true;
    }
    window.hits.push(now);
    return false;
  }

  clear(): void {
    this.windows.clear();
  }
}
