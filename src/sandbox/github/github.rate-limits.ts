import type { EmulatorRuntime, RateLimitVerdict, SandboxRequest } from '../framework/emulator.types.js';
import { FixedWindows, InFlight, SlidingWindows, waitSeconds } from '../framework/rate-windows.js';
import { basicError } from './github.errors.js';
import { SANDBOX_USER, presentedToken, tokenScopes } from './github.tokens.js';

const RATE_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
/** The operations that create content and count against the secondary content-creation limits. */
const CONTENT_CREATING = new Set([
  'repos/create-using-template',
  'repos/create-in-org',
  'repos/create-or-update-file-contents',
]);
/** Secondary-limit points: 1 for a read, 5 for a write. */
const pointsOf = (method: string): number => (['GET', 'HEAD', 'OPTIONS'].includes(method) ? 1 : 5);
/** With no better hint GitHub asks to wait a minute after a secondary limit. */
const MINUTE_MS = 60_000;

/**
 * GitHub's REST limits. Primary: requests per user (every token of the user) or, without a valid
 * token, per IP, in a fixed window, with `x-ratelimit-*` on every answer (counted even when limits
 * are off, as GitHub always sends them). Secondary (on when limits are): requests in flight, points
 * a minute, content-creating requests a minute and an hour, sliding; answered with `retry-after`.
 */
export class GithubRateLimits {
  private readonly primary: FixedWindows;
  private readonly points: SlidingWindows;
  private readonly content: SlidingWindows;
  private readonly inFlight = new InFlight();

  constructor(private readonly runtime: EmulatorRuntime) {
    this.primary = new FixedWindows(runtime);
    this.points = new SlidingWindows(runtime);
    this.content = new SlidingWindows(runtime);
  }

  check(req: SandboxRequest, operationId: string): RateLimitVerdict {
    const limits = this.runtime.limits.github;
    const user = tokenScopes(presentedToken(req)) ? `user:${SANDBOX_USER.id}` : undefined;
    const w = this.primary.count(user ?? `ip:${req.ip}`, user ? limits.primary : limits.anonymous);
    const headers = {
      'x-ratelimit-limit': String(w.limit),
      'x-ratelimit-remaining': String(w.remaining),
      'x-ratelimit-used': String(Math.min(w.used, w.limit)),
      'x-ratelimit-reset': String(Math.ceil(w.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
    if (!this.runtime.rateLimits) return { headers };
    if (w.over) {
      const who = user
        ? `user ID ${SANDBOX_USER.id}.`
        : `${req.ip}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)`;
      const message = `API rate limit exceeded for ${who} If you reach out to GitHub Support for help, please include the request ID sandbox.`;
      const response = basicError(limits.status, message, undefined, `${RATE_DOCS}#about-primary-rate-limits`);
      return { headers, refused: { rule: 'primary', response } };
    }
    if (!user) return { headers };
    return { headers, ...this.secondary(user, req.method, operationId) };
  }

  /** Admits a request of `user` under the secondary limits (it then counts), or refuses it with `retry-after`. */
  private secondary(user: string, method: string, operationId: string): Omit<RateLimitVerdict, 'headers'> {
    const limits = this.runtime.limits.github;
    const release = this.inFlight.enter(user, limits.concurrent);
    if (!release) return this.refuse('secondary-concurrency', this.runtime.scale(MINUTE_MS));
    const cost = pointsOf(method);
    const contentRules = CONTENT_CREATING.has(operationId) ? [limits.contentPerMinute, limits.contentPerHour] : [];
    const contentWait = this.content.wait(user, contentRules);
    const pointsWait = this.points.wait(user, [limits.points], cost);
    if (contentWait > 0 || pointsWait > 0) {
      release();
      const rule = contentWait > 0 ? 'secondary-content' : 'secondary-points';
      return this.refuse(rule, Math.max(contentWait, pointsWait));
    }
    this.points.add(user, cost, limits.points.windowMs);
    if (contentRules.length > 0)
      this.content.add(user, 1, Math.max(limits.contentPerMinute.windowMs, limits.contentPerHour.windowMs));
    return { release };
  }

  private refuse(rule: string, waitMs: number): Omit<RateLimitVerdict, 'headers'> {
    const message =
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID sandbox.';
    const headers = { 'retry-after': String(waitSeconds(waitMs)) };
    const docs = `${RATE_DOCS}#about-secondary-rate-limits`;
    return { refused: { rule, response: basicError(this.runtime.limits.github.status, message, headers, docs) } };
  }

  reset(): void {
    this.primary.clear();
    this.points.clear();
    this.content.clear();
    this.inFlight.clear();
  }
}
