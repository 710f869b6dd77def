import type { EmulatorRuntime, RateLimitVerdict, SandboxRequest } from '../framework/emulator.types.js';
import { FixedWindows } from '../framework/rate-windows.js';
import { userOf } from './supabase-tokens.js';

/**
 * The Management API's limit as Supabase documents it: per user (all its tokens), per scope, per
 * endpoint, a fixed window (120 a minute by default); once over, `429` for the rest of the window.
 * Every answer carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds until the window ends).
 */
export class SupabaseRateLimiter {
  private readonly windows: FixedWindows;

  constructor(private readonly runtime: EmulatorRuntime) {
    this.windows = new FixedWindows(runtime);
  }

  check(req: SandboxRequest, operationId: string): RateLimitVerdict | undefined {
    if (!this.runtime.rateLimits) return undefined;
    const caller = userOf(req) ?? `ip:${req.ip}`;
    const w = this.windows.count(`${caller} ${scopeOf(req)} ${operationId}`, this.runtime.limits.supabase.perEndpoint);
    const headers = {
      'X-RateLimit-Limit': String(w.limit),
      'X-RateLimit-Remaining': String(w.remaining),
      'X-RateLimit-Reset': String(Math.max(0, Math.ceil((w.resetAt - this.runtime.now()) / 1000))),
    };
    if (!w.over) return { headers };
    return {
      headers,
      refused: { rule: 'per-endpoint', response: { status: 429, body: { message: 'Rate limit exceeded' } } },
    };
  }

  clear(): void {
    this.windows.clear();
  }
}

/** The project of the path; the organization a project is created in; else the user. */
function scopeOf(req: SandboxRequest): string {
  if (req.params.ref !== undefined) return `project:${req.params.ref}`;
  const body = req.body as { organization_slug?: unknown } | undefined;
  if (req.method === 'POST' && typeof body?.organization_slug === 'string') return `org:${body.organization_slug}`;
  return 'user';
}
