import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VercelClient } from '../../src/providers/vercel.client.js';
import { resourceNames } from '../../src/shared/names.js';
import { enabledModules } from '../../src/steps/templates/client-modules.js';
import type { StepOutput } from '../../src/steps/step.types.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import { vercelStep } from '../../src/steps/vercel/vercel.step.js';
import { startProviderSandbox, type ProviderSandbox } from '../support/provider-sandbox.js';
import { buildRequest } from '../support/factories.js';
import { failure } from '../support/expect-helpers.js';
import { buildCompensationContext, buildStepContext, emptyState, type RecordedState } from '../support/step-context.js';

let ps: ProviderSandbox;
beforeAll(async () => {
  ps = await startProviderSandbox();
});
afterAll(async () => ps?.close());
afterEach(async () => ps.clearFaults());

/** What the github and supabase steps hand on (the Vercel emulator does not ask GitHub about the repo). */
function inputsFor(request: ProvisionRequest): Partial<Record<'github' | 'supabase' | 'database', StepOutput>> {
  const names = resourceNames(request.clientId, request.clientName);
  return {
    github: {
      resources: { owner: 'agency-clients', name: names.githubRepo, fullName: `agency-clients/${names.githubRepo}` },
      secrets: {},
    },
    supabase: {
      resources: { apiUrl: 'https://abcdefghijklmnopqrst.supabase.co' },
      secrets: { anonKey: 'anon-jwt', serviceRoleKey: 'service-jwt', dbPassword: 'pw' },
    },
    database: { resources: {}, secrets: {} },
  };
}

const execute = (request: ProvisionRequest, state: RecordedState = emptyState(), clients = ps.clients) =>
  vercelStep.execute(
    buildStepContext({ step: 'vercel', config: ps.config, clients, request, state, inputs: inputsFor(request) }),
  );
const compensate = (request: ProvisionRequest, recorded = {}) =>
  vercelStep.compensate!(
    buildCompensationContext({ step: 'vercel', config: ps.config, clients: ps.clients, request, recorded }),
  );
type VState = {
  projects: {
    id: string;
    name: string;
    link: { repo: string } | null;
    env: { key: string; type: string; target: string[] }[];
  }[];
  deployments: { id: string; projectId: string; readyState: string }[];
};
const vstate = async (): Promise<VState> => (await ps.state()).vercel;
const projectsNamed = async (name: string) => (await vstate()).projects.filter((p) => p.name === name);

describe('vercel step', () => {
  it('When run, then it creates the linked project, sets the env vars and waits for a READY production deployment', async () => {
    const request = buildRequest({ tier: 'starter' });
    const names = resourceNames(request.clientId, request.clientName);
    const result = await execute(request);

    expect(result.outcome).toBe('created');
    expect(result.resources).toEqual({
      projectId: expect.stringMatching(/^prj_/),
      name: names.vercelProject,
      deploymentId: expect.stringMatching(/^dpl_/),
      url: expect.stringMatching(/^https:\/\//),
      readyState: 'READY',
    });
    const [project] = await projectsNamed(names.vercelProject);
    expect(project?.link?.repo).toBe(`agency-clients/${names.githubRepo}`);
    const env = Object.fromEntries(project!.env.map((v) => [v.key, v]));
    expect(env.NEXT_PUBLIC_SUPABASE_URL?.type).toBe('plain');
    expect(env.NEXT_PUBLIC_SUPABASE_ANON_KEY?.type).toBe('encrypted');
    expect(env.SUPABASE_SERVICE_ROLE_KEY?.type).toBe('sensitive');
    expect(Object.keys(env).sort()).toEqual([
      'CLIENT_ID',
      'ENABLED_MODULES',
      'NEXT_PUBLIC_APP_URL',
      'NEXT_PUBLIC_SUPABASE_ANON_KEY',
      'NEXT_PUBLIC_SUPABASE_URL',
      'SUPABASE_SERVICE_ROLE_KEY',
    ]);
    expect(env.ENABLED_MODULES?.target).toEqual(['production', 'preview', 'development']);
    expect(enabledModules('starter').length).toBeGreaterThan(0);
    const deployments = (await vstate()).deployments.filter((d) => d.projectId === project!.id);
    expect(deployments).toEqual([expect.objectContaining({ id: result.resources.deploymentId, readyState: 'READY' })]);
  });

  it('When run again, even with nothing recorded, then it is skipped and creates no project and no deployment', async () => {
    const request = buildRequest();
    const first = await execute(request);

    const second = await execute(request);

    expect(second.outcome).toBe('skipped');
    expect(second.resources.deploymentId).toBe(first.resources.deploymentId);
    expect(await projectsNamed(String(first.resources.name))).toHaveLength(1);
    expect((await vstate()).deployments.filter((d) => d.projectId === first.resources.projectId)).toHaveLength(1);
  });

  it('When the create answers are lost, then the retries find the project and the deployment, one of each', async () => {
    const request = buildRequest();
    const state = emptyState();
    await ps.addFaults([
      { provider: 'vercel', operationId: 'createProject', fault: 'lost-response', times: 1 },
      { provider: 'vercel', operationId: 'createDeployment', fault: 'lost-response', times: 1 },
    ]);

    expect(await failure(execute(request, state))).toMatchObject({ retryable: true });
    expect(await failure(execute(request, state))).toMatchObject({ retryable: true });
    const result = await execute(request, state);

    expect(await projectsNamed(resourceNames(request.clientId, request.clientName).vercelProject)).toHaveLength(1);
    expect((await vstate()).deployments.filter((d) => d.projectId === result.resources.projectId)).toHaveLength(1);
  });

  it('When the token is wrong, then it fails without retry naming VERCEL_TOKEN', async () => {
    const vercel = new VercelClient({ ...ps.config.providers.vercel, token: 'wrong' }, 5000);
    const e = await failure(execute(buildRequest(), emptyState(), { ...ps.clients, vercel }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('VERCEL_TOKEN');
  });

  it('When the build ends in ERROR, then it fails without retry', async () => {
    await ps.addFaults([{ provider: 'vercel', operationId: 'createDeployment', fault: 'deployment-error', times: 1 }]);
    const e = await failure(execute(buildRequest()));
    expect(e).toMatchObject({ code: 'RESOURCE_FAILED', retryable: false });
    expect(e.message).toContain('ERROR');
  });

  it('When compensated, then the project is deleted, and a second compensation finds nothing', async () => {
    const request = buildRequest();
    const result = await execute(request);
    expect(await compensate(request, { projectId: result.resources.projectId })).toBe('deleted');
    expect(await projectsNamed(String(result.resources.name))).toHaveLength(0);
    expect(await compensate(request, { projectId: result.resources.projectId })).toBe('not_found');
  });
});
