import type { ProviderName } from '../shared/providers.js';
import type { HttpMethod } from './http-method.js';

/** One request as the budgets see it. */
export interface BudgetCall {
  provider: ProviderName;
  /** Whose budget: the credential's user (a digest of the token, never the token). */
  identity: string;
  /** The provider's operation: `createProject`. */
  operation: string;
  method: HttpMethod;
  /** The scope the provider counts in: `project:<ref>`, `org:<slug>`; none for the user itself. */
  scope?: string;
}

/** A documented limit: `points` per `windowMs` (unscaled), counted per `key`. */
export interface BudgetRule {
  id: string;
  provider: ProviderName;
  points: number;
  windowMs: number;
  /**
   * `fixed`: the provider counts in windows opened by a first request (Supabase, Vercel, GitHub's
   * primary). `sliding`: it counts the last `windowMs` (GitHub's secondary limits), so a window of
   * ours only closes `windowMs` after the last request it let through.
   */
  window: 'fixed' | 'sliding';
  describe: string;
  applies(call: BudgetCall): boolean;
  key(call: BudgetCall): string;
  /** Points one call costs (GitHub's secondary points); 1 by default. */
  cost?(call: BudgetCall): number;
  /** What the answer says is left of this budget, when the provider says it. */
  remainingFromHeaders?(header: (name: string) => string | undefined): number | undefined;
  /** The limit the answer states, when it states one. */
  headerLimit?(header: (name: string) => string | undefined): number | undefined;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** GitHub's content-creating requests among those we make: a repo from a template, a file written. */
const CONTENT_CREATION = new Set(['createFromTemplate', 'putFile']);
const isContentCreation = (c: BudgetCall) => CONTENT_CREATION.has(c.operation);
const num = (v: string | undefined) =>
  v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/**
 * The providers' limits as documented today (SPEC 7); points overridable by id with
 * RATE_BUDGET_POINTS. n8n and Gitea document none; Vercel documents only deployments a day
 * for the endpoints we call.
 */
export const BUDGET_RULES: readonly BudgetRule[] = [
  {
    id: 'supabase-endpoint',
    provider: 'supabase',
    points: 120,
    windowMs: MINUTE,
    window: 'fixed',
    describe: '120 requests a minute per user, scope and endpoint',
    applies: () => true,
    key: (c) => `${c.identity}:${c.scope ?? 'user'}:${c.operation}`,
    remainingFromHeaders: (h) => num(h('x-ratelimit-remaining')),
    headerLimit: (h) => num(h('x-ratelimit-limit')),
  },
  {
    id: 'github-primary',
    provider: 'github',
    points: 5000,
    windowMs: HOUR,
    window: 'fixed',
    describe: '5,000 requests an hour per user',
    applies: () => true,
    key: (c) => c.identity,
    remainingFromHeaders: (h) =>
      (h('x-ratelimit-resource') ?? 'core') === 'core' ? num(h('x-ratelimit-remaining')) : undefined,
    headerLimit: (h) => num(h('x-ratelimit-limit')),
  },
  {
    id: 'github-content-minute',
    provider: 'github',
    points: 80,
    windowMs: MINUTE,
    window: 'sliding',
    describe: '80 content-creating requests a minute',
    applies: isContentCreation,
    key: (c) => c.identity,
  },
  {
    id: 'github-content-hour',
    provider: 'github',
    points: 500,
    windowMs: HOUR,
    window: 'sliding',
    describe: '500 content-creating requests an hour',
    applies: isContentCreation,
    key: (c) => c.identity,
  },
  {
    id: 'github-points',
    provider: 'github',
    points: 900,
    windowMs: MINUTE,
    window: 'sliding',
    describe: '900 points a minute (a read 1, any other request 5)',
    applies: () => true,
    key: (c) => c.identity,
    cost: (c) => (c.method === 'GET' ? 1 : 5),
  },
  {
    id: 'vercel-deployments-day',
    provider: 'vercel',
    points: 6000,
    windowMs: 24 * HOUR,
    window: 'fixed',
    describe: '6,000 deployments a day (Pro)',
    applies: (c) => c.operation === 'createDeployment',
    key: (c) => c.identity,
    remainingFromHeaders: (h) => num(h('x-ratelimit-remaining')),
    headerLimit: (h) => num(h('x-ratelimit-limit')),
  },
];
