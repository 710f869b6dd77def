import type { WindowRule } from '../sandbox-limits.js';
import type { EmulatorRuntime, RateLimitVerdict, SandboxResponse } from './emulator.types.js';
import { FixedWindows, waitSeconds } from './rate-windows.js';

/**
 * For a self-hosted service that documents no API limit (n8n, Gitea): nothing unless a rule is
 * configured; then one fixed-window budget for the whole instance, answered with the provider's
 * own error envelope, status 429, and `retry-after` in seconds.
 */
export class InstanceRateLimit {
  private readonly windows: FixedWindows;

  constructor(
    private readonly runtime: EmulatorRuntime,
    private readonly rule: WindowRule | undefined,
    private readonly errorResponse: (status: number, message: string) => SandboxResponse,
    /** Operations outside the API budget (n8n's production webhooks). */
    private readonly exempt: ReadonlySet<string> = new Set(),
  ) {
    this.windows = new FixedWindows(runtime);
  }

  check(operationId: string): RateLimitVerdict | undefined {
    if (!this.runtime.rateLimits || !this.rule || this.exempt.has(operationId)) return undefined;
    const w = this.windows.count('instance', this.rule);
    if (!w.over) return undefined;
    const refusal = this.errorResponse(429, 'Too Many Requests');
    return {
      refused: {
        rule: 'requests',
        response: {
          ...refusal,
          headers: { ...refusal.headers, 'retry-after': String(waitSeconds(w.resetAt - this.runtime.now())) },
        },
      },
    };
  }

  clear(): void {
    this.windows.clear();
  }
}
