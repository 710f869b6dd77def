import { STEP_GRAPH, type StepName } from '../src/steps/step-graph.js';

/**
 * The floor the providers' documented limits set on a fleet's makespan, for the requests the
 * fleet actually made (from `/_sandbox/calls`; answers refused for a rate limit are not counted,
 * since they were not needed). Windows are scaled by the sandbox's time scale, as it enforces them.
 *
 * - A fixed window (Supabase per user·scope·endpoint, GitHub's primary, Vercel's per endpoint):
 *   N requests on one key with L per window W need ceil(N/L) windows, so the last one cannot
 *   go before (ceil(N/L) − 1) × W after the first.
 * - A sliding window (GitHub's content creation, 80 a minute and 500 an hour; its points, 900 a
 *   minute): the earliest schedule sends each request as soon as every rule allows it, so request
 *   i > L goes at t(i − L) + W (for points: once enough earlier points have left the window).
 *
 * The binding rule is the one with the latest last request; the floor adds to it the least the rest
 * of the critical path can take after that request (the fastest of each step that must follow,
 * and for Supabase the fastest project's coming up).
 *
 * Beside the limits, the providers' own time: a Supabase project is usable only once the provider
 * made it ACTIVE_HEALTHY (the sandbox says when: its database, then its provisioning delay), and
 * at most `limit` creates go per window, so with the slowest projects created first the last one
 * is ready at max_j(⌊j / limit⌋ × window + P_j) (P sorted longest first), then the fastest
 * `database` and `vercel` steps must still follow (projectsFloor).
 *
 * Everything here is a lower bound on the makespan: no run's own (queued, loaded) durations enter
 * it but the fastest of each step.
 */
export interface CallRecord {
  provider: string;
  operationId: string;
  method: string;
  path: string;
  status: number;
  rateLimited?: string;
  at: string;
}

export interface WindowRule {
  limit: number;
  windowMs: number;
}
export interface SandboxLimits {
  supabase: { perEndpoint: WindowRule };
  github: { primary: WindowRule; contentPerMinute: WindowRule; contentPerHour: WindowRule; points: WindowRule };
  vercel: Record<string, WindowRule>;
  n8n: { requests?: WindowRule };
  gitea: { requests?: WindowRule };
}

export interface RuleFloor {
  rule: string;
  /** The key with the latest last request under this rule. */
  key: string;
  requests: number;
  /** When the last request could go at the earliest, from the first (ms). */
  lastRequestMs: number;
  /** The step that makes these requests. */
  step: StepName;
}

const CONTENT_CREATING = new Set([
  'repos/create-using-template',
  'repos/create-in-org',
  'repos/create-or-update-file-contents',
]);
const STEP_OF: Record<string, StepName> = {
  supabase: 'supabase',
  github: 'github',
  vercel: 'vercel',
  n8n: 'n8n',
  gitea: 'backup',
};

const fixedFloor = (n: number, rule: WindowRule, scale: number) =>
  (Math.ceil(n / rule.limit) - 1) * rule.windowMs * scale;

/** Earliest send times under sliding windows, for requests of `costs` in order; the last one's time. */
export function slidingFloor(costs: number[], rules: WindowRule[], scale: number): number {
  const windows = rules.map((r) => ({
    limit: r.limit,
    w: r.windowMs * scale,
    sent: [] as [number, number][],
    used: 0,
    head: 0,
  }));
  let t = 0;
  for (const cost of costs) {
    for (const win of windows) {
      // The oldest requests leave the window first; wait until enough have left.
      while (win.used + cost > win.limit && win.head < win.sent.length) {
        const [at, c] = win.sent[win.head++]!;
        t = Math.max(t, at + win.w);
        win.used -= c;
      }
    }
    for (const win of windows) {
      // Requests that left the window by t no longer count.
      while (win.head < win.sent.length && win.sent[win.head]![0] + win.w <= t) win.used -= win.sent[win.head++]![1];
      win.sent.push([t, cost]);
      win.used += cost;
    }
  }
  return t;
}

function supabaseScope(c: CallRecord): string {
  const ref = /^\/supabase\/v1\/projects\/([a-z]{20})(\/|$)/.exec(c.path)?.[1];
  if (ref) return `project:${ref}`;
  return c.method === 'POST' && c.path === '/supabase/v1/projects' ? 'org' : 'user';
}

function worstFixed(
  rule: string,
  calls: CallRecord[],
  keyOf: (c: CallRecord) => string,
  w: WindowRule,
  scale: number,
  step: StepName,
): RuleFloor | undefined {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(keyOf(c), (counts.get(keyOf(c)) ?? 0) + 1);
  let worst: RuleFloor | undefined;
  for (const [key, n] of counts) {
    const lastRequestMs = fixedFloor(n, w, scale);
    if (!worst || lastRequestMs > worst.lastRequestMs || (lastRequestMs === worst.lastRequestMs && n > worst.requests))
      worst = { rule, key, requests: n, lastRequestMs, step };
  }
  return worst;
}

/** Each limit's floor for the calls made (admitted answers only). */
export function ruleFloors(allCalls: CallRecord[], limits: SandboxLimits, scale: number): RuleFloor[] {
  const calls = allCalls.filter((c) => !c.rateLimited);
  const of = (p: string) => calls.filter((c) => c.provider === p);
  const out: (RuleFloor | undefined)[] = [];
  const sb = limits.supabase.perEndpoint;
  out.push(
    worstFixed(
      `supabase ${sb.limit}/${sb.windowMs / 1000}s per user·scope·endpoint`,
      of('supabase'),
      (c) => `${supabaseScope(c)} ${c.operationId}`,
      sb,
      scale,
      'supabase',
    ),
  );
  const gh = limits.github;
  const github = of('github');
  out.push(
    worstFixed(
      `github primary ${gh.primary.limit}/${gh.primary.windowMs / 1000}s`,
      github,
      () => 'user',
      gh.primary,
      scale,
      'github',
    ),
  );
  const content = github.filter((c) => CONTENT_CREATING.has(c.operationId));
  if (content.length)
    out.push({
      rule: `github content ${gh.contentPerMinute.limit}/min + ${gh.contentPerHour.limit}/h (sliding)`,
      key: 'user',
      requests: content.length,
      lastRequestMs: slidingFloor(
        content.map(() => 1),
        [gh.contentPerMinute, gh.contentPerHour],
        scale,
      ),
      step: 'github',
    });
  if (github.length)
    out.push({
      rule: `github points ${gh.points.limit}/min (sliding; read 1, write 5)`,
      key: 'user',
      requests: github.length,
      lastRequestMs: slidingFloor(
        github.map((c) => (['GET', 'HEAD', 'OPTIONS'].includes(c.method) ? 1 : 5)),
        [gh.points],
        scale,
      ),
      step: 'github',
    });
  for (const [op, rule] of Object.entries(limits.vercel))
    out.push(
      worstFixed(
        `vercel ${op} ${rule.limit}/${rule.windowMs / 1000}s`,
        of('vercel').filter((c) => c.operationId === op),
        () => op,
        rule,
        scale,
        'vercel',
      ),
    );
  for (const p of ['n8n', 'gitea'] as const) {
    const rule = limits[p].requests;
    if (rule)
      out.push(
        worstFixed(
          `${p} ${rule.limit}/${rule.windowMs / 1000}s`,
          of(p).filter((c) => !c.path.includes('/webhook/')),
          () => 'instance',
          rule,
          scale,
          STEP_OF[p]!,
        ),
      );
  }
  return out.filter((f): f is RuleFloor => f !== undefined && f.requests > 0);
}

/**
 * The least the Supabase chain can take: projects' provider-side times `provisionMs` (create →
 * ACTIVE_HEALTHY, as the sandbox played them), creates limited to `rule` per window, then `afterMs`.
 */
export function projectsFloor(provisionMs: number[], rule: WindowRule, scale: number, afterMs: number): number {
  const longestFirst = [...provisionMs].sort((a, b) => b - a);
  const ready = longestFirst.map((p, j) => Math.floor(j / rule.limit) * rule.windowMs * scale + p);
  return ready.length ? Math.max(...ready) + afterMs : 0;
}

/** The longest chain of steps that must follow `step` (the given durations, ms). */
export function restAfter(step: StepName, medianMs: Partial<Record<StepName, number>>): number {
  const dependents = STEP_GRAPH.filter((s) => (s.needs as readonly string[]).includes(step));
  return Math.max(0, ...dependents.map((d) => (medianMs[d.name] ?? 0) + restAfter(d.name, medianMs)));
}

/** A run's critical path from its own step durations: the longest chain through the step graph. */
export function criticalPath(durations: Partial<Record<StepName, number>>): number {
  const memo = new Map<StepName, number>();
  const through = (s: StepName): number => {
    const known = memo.get(s);
    if (known !== undefined) return known;
    const node = STEP_GRAPH.find((n) => n.name === s)!;
    const v = (durations[s] ?? 0) + Math.max(0, ...(node.needs as readonly StepName[]).map(through));
    memo.set(s, v);
    return v;
  };
  return Math.max(...STEP_GRAPH.map((n) => through(n.name)));
}
