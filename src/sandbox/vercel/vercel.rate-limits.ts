import type { EmulatorRuntime, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { vercelError } from './vercel.errors.js';
import type { VercelStore } from './vercel.state.js';

interface Rule {
  total: number;
  windowMs: number;
  /** What the limit is counted per; undefined when the request does not count. */
  key(req: SandboxRequest): string | undefined;
}

/** Vercel's per-endpoint limits (fixed windows, scaled): project creations per minute, deployments per project per hour. */
export function vercelRules(store: VercelStore): Record<string, Rule> {
  return {
    createProject: { total: 120, windowMs: 60_000, key: () => 'projects' },
    createDeployment: {
      total: 100,
      windowMs: 3_600_000,
      key: (req) => {
        const body = (req.body ?? {}) as { project?: unknown; name?: unknown };
        const ref =
          typeof body.project === 'string' ? body.project : typeof body.name === 'string' ? body.name : undefined;
        return ref === undefined ? undefined : `deployments:${store.findProject(ref)?.id ?? ref}`;
      },
    },
  };
}

export class VercelRateLimits {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly runtime: EmulatorRuntime,
    private readonly rules: Record<string, Rule>,
  ) {}

  /** The `rate_limited` answer when over the limit; otherwise counts the request. */
  check(req: SandboxRequest, operationId: string): SandboxResponse | undefined {
    const rule = this.rules[operationId];
    const key = rule?.key(req);
    if (!rule || key === undefined) return undefined;
    const now = this.runtime.now();
    const span = this.runtime.scale(rule.windowMs);
    let w = this.windows.get(key);
    if (!w || now >= w.start + span) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const resetMs = w.start + span;
    if (w.count < rule.total) {
      w.count += 1;
      return undefined;
    }
    const seconds = Math.max(1, Math.ceil((resetMs - now) / 1000));
    const limited = vercelError(
      429,
      'rate_limited',
      `Too many requests - try again in ${seconds} seconds (more than ${rule.total}, code: "${operationId}").`,
      {
        limit: { remaining: 0, reset: Math.ceil(resetMs / 1000), resetMs, total: rule.total },
      },
    );
    return {
      ...limited,
      headers: {
        'x-ratelimit-limit': String(rule.total),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
        'retry-after': String(seconds),
      },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
