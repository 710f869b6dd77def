import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/shared/providers.js';
import type { StepName } from '../../src/steps/step-graph.js';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, resourceCounts, startHarness, type Harness } from '../support/harness.js';

/**
 * Issue 3, item 3: a refused credential fails the step at once (no retry), names the variable
 * that holds it, and the run rolls back everything else.
 *
 * Each case starts a harness whose environment uses one provider "for real" (its own URL and
 * credential set, SPEC 6) pointed at the sandbox with a wrong credential; the others are emulated.
 */
interface AuthCase {
  provider: ProviderName;
  /** The step whose first call is refused. */
  step: StepName;
  credential: string;
  /** The refusal: 401, or Vercel's 403 `invalidToken`. */
  status: number;
  env(sandboxUrl: string): Record<string, string>;
}

const WRONG = 'wrong-credential-0000';
const CASES: AuthCase[] = [
  {
    provider: 'supabase',
    step: 'supabase',
    credential: 'SUPABASE_MANAGEMENT_TOKEN',
    status: 401,
    env: (url) => ({
      SUPABASE_API_URL: `${url}/supabase`,
      SUPABASE_MANAGEMENT_TOKEN: WRONG,
      SUPABASE_ORG_ID: 'agency-org',
    }),
  },
  {
    provider: 'github',
    step: 'github',
    credential: 'GITHUB_TOKEN',
    status: 401,
    env: (url) => ({
      GITHUB_API_URL: `${url}/github`,
      GITHUB_TOKEN: WRONG,
      GITHUB_ORG: 'agency-clients',
      GITHUB_TEMPLATE_REPO: 'agency-clients/client-app-template',
    }),
  },
  {
    provider: 'vercel',
    step: 'vercel',
    credential: 'VERCEL_TOKEN',
    status: 403,
    env: (url) => ({ VERCEL_API_URL: `${url}/vercel`, VERCEL_TOKEN: WRONG }),
  },
  {
    provider: 'n8n',
    step: 'n8n',
    credential: 'N8N_API_KEY',
    status: 401,
    env: (url) => ({ N8N_HOST: `${url}/n8n`, N8N_API_KEY: WRONG }),
  },
  {
    provider: 'gitea',
    step: 'backup',
    credential: 'GITEA_TOKEN',
    status: 401,
    env: (url) => ({ GITEA_URL: `${url}/gitea`, GITEA_TOKEN: WRONG }),
  },
];

const ENV = {
  STEP_BACKOFF_MS: '50',
  // No timeout fault here: a generous timeout keeps a loaded machine's slow Postgres (a sandbox
  // project's database is dropped with it) from failing the compensations under test.
  PROVIDER_TIMEOUT_MS: '10000',
  COMPENSATION_ATTEMPTS: '5',
};

const harnesses = new Map<ProviderName, Harness>();
beforeAll(async () => {
  const started = await Promise.allSettled(
    CASES.map(async (c) => harnesses.set(c.provider, await startHarness((url) => ({ ...ENV, ...c.env(url) })))),
  );
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
});
afterAll(async () => {
  await Promise.all([...harnesses.values()].map((h) => h.close()));
});

describe('a refused credential (issue 3)', () => {
  it.concurrent.each(CASES)(
    'When $provider refuses $credential, then the step fails after one attempt naming it, not retryable, and the run rolls back',
    async (c) => {
      const h = harnesses.get(c.provider)!;
      // The case's provider is used "for real", with the wrong credential; the others are emulated.
      expect(h.config.providers[c.provider].mode).toBe('live');

      const req = buildRequest();
      const posted = await h.request('POST', '/api/provisioning', { body: req });
      expect(posted.status).toBe(202);
      const run = await h.waitForRun(posted.body.runId, ['succeeded', 'rolled_back', 'rollback_failed'], 45_000);
      const summary = JSON.stringify(
        run.steps.map((s: any) => [s.name, s.state, s.attempts, s.error?.code, s.compensation]),
      );
      expect(run.state, summary).toBe('rolled_back');

      const step = run.steps.find((s: any) => s.name === c.step);
      // It created nothing, so there was nothing to compensate: it stays failed, with its error.
      expect(step.state).toBe('failed');
      expect(step.attempts).toBe(1);
      expect(step.error).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
      expect(step.error.message).toContain(c.credential);
      expect(step.error.message).not.toContain(WRONG);
      expect(run.error).toMatchObject({ step: c.step, code: 'PROVIDER_AUTH_FAILED', retryable: false });

      // One call was refused, and nothing asked that provider again: no retry, no blind compensation.
      const calls = (await h.sandboxCalls()).filter((x: any) => x.provider === c.provider);
      expect(calls.map((x: any) => x.status)).toEqual([c.status]);

      // Every other step that ran was undone.
      for (const s of run.steps.filter((x: any) => x.name !== c.step && x.state !== 'pending')) {
        expect(s.state, `${s.name}: ${JSON.stringify(s.compensation)}`).toBe('compensated');
      }

      // Whatever the other steps created was compensated.
      expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
    },
    60_000,
  );
});
