/**
 * How long the providers' slow, asynchronous work takes in the sandbox. `fast` (the default) keeps
 * tests and demos quick; `realistic` plays what was measured against the real services. Each delay
 * is drawn uniformly from its range, per resource, then scaled by `SANDBOX_TIME_SCALE`.
 */
export const SANDBOX_PROFILES = ['fast', 'realistic'] as const;
export type SandboxProfile = (typeof SANDBOX_PROFILES)[number];

export interface DelayRange {
  minMs: number;
  maxMs: number;
}

export interface ProfileDelays {
  /** Supabase: a new project is COMING_UP this long after its database exists, then ACTIVE_HEALTHY. */
  supabaseProvisioning: DelayRange;
  /** GitHub: a repository generated from a template answers 404 (get) and 409 (contents) this long. */
  githubGeneration: DelayRange;
  /** Vercel: a deployment's build, from QUEUED (its first quarter) through BUILDING to READY. */
  vercelBuild: DelayRange;
  /** n8n: the activate (or publish) call, which registers the workflow's webhooks. */
  n8nActivation: DelayRange;
}

const fixed = (ms: number): DelayRange => ({ minMs: ms, maxMs: ms });

export const PROFILE_DELAYS: Record<SandboxProfile, ProfileDelays> = {
  fast: {
    supabaseProvisioning: fixed(3000),
    githubGeneration: fixed(1500),
    vercelBuild: fixed(2000),
    n8nActivation: fixed(200),
  },
  realistic: {
    supabaseProvisioning: { minMs: 90_000, maxMs: 180_000 },
    githubGeneration: { minMs: 2000, maxMs: 5000 },
    vercelBuild: { minMs: 8000, maxMs: 16_000 },
    n8nActivation: { minMs: 2000, maxMs: 5000 },
  },
};

/** A delay drawn uniformly from `range` (unscaled). */
export const draw = (range: DelayRange): number => range.minMs + Math.random() * (range.maxMs - range.minMs);
