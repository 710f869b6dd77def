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
const isWrite = (c: BudgetCall) => c.method !== 'GET';
const num = (v: string | undefined) =>
  v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);

/**
 * The providers' limits as documented today (SPEC 7); overridable by id with RATE_BUDGETS.
 * n8n and Gitea document none.
 */
export const BUDGET_RULES: readonly BudgetRule[] = [
  {
    id: 'supabase-endpoint',
    provider: 'supabase',
    points: 120,
    windowMs: MINUTE,
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
    describe: '5,000 requests an hour per token',
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
    describe: '80 content-creating requests a minute',
    applies: isWrite,
    key: (c) => c.identity,
  },
  {
    id: 'github-content-hour',
    provider: 'github',
    points: 500,
    windowMs: HOUR,
    describe: '500 content-creating requests an hour',
    applies: isWrite,
    key: (c) => c.identity,
  },
  {
    id: 'github-points',
    provider: 'github',
    points: 900,
    windowMs: MINUTE,
    describe: '900 points a minute per endpoint (a read 1, a write 5)',
    applies: () => true,
    key: (c) => `${c.identity}:${c.operation}`,
    cost: (c) => (isWrite(c) ? 5 : 1),
  },
  {
    id: 'vercel-create-project',
    provider: 'vercel',
    points: 120,
    windowMs: MINUTE,
    describe: '120 project creations a minute',
    applies: (c) => c.operation === 'createProject',
    key: (c) => c.identity,
    remainingFromHeaders: (h) => num(h('x-ratelimit-remaining')),
    headerLimit: (h) => num(h('x-ratelimit-limit')),
  },
  {
    id: 'vercel-deployments-per-project',
    provider: 'vercel',
    points: 100,
    windowMs: HOUR,
    describe: '100 deployments an hour per project',
    applies: (c) => c.operation === 'createDeployment',
    key: (c) => `${c.identity}:${c.scope ?? 'project'}`,
  },
];
