import { z } from 'zod';

/**
 * The rate limits the emulators enforce when `SANDBOX_RATE_LIMITS=on`, as the providers document
 * them today, and how tests and benchmarks override them (`SandboxOptions.limits`, or the
 * `SANDBOX_LIMITS` JSON). Every window is in unscaled milliseconds: the sandbox multiplies it by
 * `SANDBOX_TIME_SCALE` like every other delay.
 */

/** At most `limit` requests (or points) in `windowMs`. */
export interface WindowRule {
  limit: number;
  windowMs: number;
}

export interface SupabaseLimits {
  /**
   * Per user (all tokens of one user share it), per scope (the project of the path; the
   * organization, `organization_slug` of the body for `POST /v1/projects`; else the user), per
   * endpoint; a fixed window opened by the first request; `429` for the rest of it once over.
   */
  perEndpoint: WindowRule;
}

export interface GithubLimits {
  /** Primary limit per user (all its tokens) for authenticated requests, fixed window. */
  primary: WindowRule;
  /** Primary limit per IP for requests without a valid token. */
  anonymous: WindowRule;
  /** Secondary: content-creating requests per user, sliding windows. */
  contentPerMinute: WindowRule;
  contentPerHour: WindowRule;
  /** Secondary: points per user (GET/HEAD/OPTIONS 1, other methods 5), sliding window. */
  points: WindowRule;
  /** Secondary: requests of one user in flight at once. */
  concurrent: number;
  /** GitHub answers `403` or `429` to a request over a limit; the sandbox answers this one. */
  status: 403 | 429;
}

/** Vercel: per account (the `teamId` of the query, else the user), per endpoint (operationId), fixed window. */
export type VercelLimits = Record<string, WindowRule>;

/** n8n and Gitea document no API limit: none unless configured; then one budget for the whole instance. */
export interface InstanceLimits {
  requests?: WindowRule;
}

export interface SandboxLimits {
  supabase: SupabaseLimits;
  github: GithubLimits;
  vercel: VercelLimits;
  n8n: InstanceLimits;
  gitea: InstanceLimits;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The documented limits.
 * - Supabase Management API: 120 requests a minute per user, per scope, per endpoint
 *   (supabase/supabase `apps/docs/content/_partials/api_rate_limits.mdx`).
 * - GitHub REST: 5,000 an hour per user, 60 an hour per IP without a token; secondary: 80
 *   content-creating requests a minute and 500 an hour, 900 points a minute, 100 concurrent
 *   requests (github/docs `rate-limits-for-the-rest-api.md`).
 * - Vercel: "Deployments Created per Day", 6,000 on Pro (Hobby's 100 is for non-commercial use
 *   only, so an agency is on Pro) (vercel.com/docs/limits). Vercel publishes no per-endpoint
 *   numbers for the other endpoints the product calls: none is enforced unless configured.
 */
export const DEFAULT_LIMITS: SandboxLimits = {
  supabase: { perEndpoint: { limit: 120, windowMs: MINUTE } },
  github: {
    primary: { limit: 5000, windowMs: HOUR },
    anonymous: { limit: 60, windowMs: HOUR },
    contentPerMinute: { limit: 80, windowMs: MINUTE },
    contentPerHour: { limit: 500, windowMs: HOUR },
    points: { limit: 900, windowMs: MINUTE },
    concurrent: 100,
    status: 403,
  },
  vercel: { createDeployment: { limit: 6000, windowMs: DAY } },
  n8n: {},
  gitea: {},
};

const partialRule = z.strictObject({
  limit: z.number().int().positive().optional(),
  windowMs: z.number().int().positive().optional(),
});

/** What may be overridden: any rule, in part; a Vercel rule for any operationId. */
export const limitOverridesSchema = z.strictObject({
  supabase: z.strictObject({ perEndpoint: partialRule.optional() }).optional(),
  github: z
    .strictObject({
      primary: partialRule.optional(),
      anonymous: partialRule.optional(),
      contentPerMinute: partialRule.optional(),
      contentPerHour: partialRule.optional(),
      points: partialRule.optional(),
      concurrent: z.number().int().positive().optional(),
      status: z.union([z.literal(403), z.literal(429)]).optional(),
    })
    .optional(),
  vercel: z.record(z.string().min(1), partialRule).optional(),
  n8n: z.strictObject({ requests: partialRule.optional() }).optional(),
  gitea: z.strictObject({ requests: partialRule.optional() }).optional(),
});
export type LimitOverrides = z.infer<typeof limitOverridesSchema>;

type PartialRule = z.infer<typeof partialRule>;

/** `base` with the fields `over` sets. */
const merged = (base: WindowRule, over: PartialRule | undefined): WindowRule => ({
  limit: over?.limit ?? base.limit,
  windowMs: over?.windowMs ?? base.windowMs,
});

/** A rule where there may be none: a new one needs its limit (its window defaults to a minute). */
function optionalRule(base: WindowRule | undefined, over: PartialRule | undefined): WindowRule | undefined {
  if (base) return merged(base, over);
  return over?.limit === undefined ? undefined : { limit: over.limit, windowMs: over.windowMs ?? MINUTE };
}

/** The defaults with `overrides` applied, field by field. */
export function resolveLimits(overrides: LimitOverrides = {}): SandboxLimits {
  const d = DEFAULT_LIMITS;
  const g = overrides.github ?? {};
  const vercel: VercelLimits = { ...d.vercel };
  for (const [operationId, over] of Object.entries(overrides.vercel ?? {})) {
    const rule = optionalRule(d.vercel[operationId], over);
    if (rule) vercel[operationId] = rule;
  }
  const instance = (over: { requests?: PartialRule } | undefined): InstanceLimits => {
    const requests = optionalRule(undefined, over?.requests);
    return requests ? { requests } : {};
  };
  return {
    supabase: { perEndpoint: merged(d.supabase.perEndpoint, overrides.supabase?.perEndpoint) },
    github: {
      primary: merged(d.github.primary, g.primary),
      anonymous: merged(d.github.anonymous, g.anonymous),
      contentPerMinute: merged(d.github.contentPerMinute, g.contentPerMinute),
      contentPerHour: merged(d.github.contentPerHour, g.contentPerHour),
      points: merged(d.github.points, g.points),
      concurrent: g.concurrent ?? d.github.concurrent,
      status: g.status ?? d.github.status,
    },
    vercel,
    n8n: instance(overrides.n8n),
    gitea: instance(overrides.gitea),
  };
}
