import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SupabaseClient } from '../../src/providers/supabase.client.js';
import { resourceNames } from '../../src/shared/names.js';
import { supabaseStep } from '../../src/steps/supabase/supabase.step.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import { startProviderSandbox, type ProviderSandbox } from '../support/provider-sandbox.js';
import { buildRequest } from '../support/factories.js';
import { failure } from '../support/expect-helpers.js';
import { buildCompensationContext, buildStepContext, emptyState, type RecordedState } from '../support/step-context.js';

let ps: ProviderSandbox;
beforeAll(async () => {
  ps = await startProviderSandbox();
});
afterAll(async () => {
  await ps?.reset();
  await ps?.close();
});
afterEach(async () => ps.clearFaults());

const execute = (request: ProvisionRequest, state: RecordedState = emptyState(), clients = ps.clients) =>
  supabaseStep.execute(buildStepContext({ step: 'supabase', config: ps.config, clients, request, state }));
const projectsNamed = async (name: string) =>
  ((await ps.state()).supabase.projects as { name: string; ref: string }[]).filter((p) => p.name === name);
const creates = async () => (await ps.calls()).filter((c) => c.operationId === 'v1-create-a-project');

describe('supabase step', () => {
  it('When run, then it creates client-{id} in the configured region, waits for ACTIVE_HEALTHY and hands on keys and DB coordinates', async () => {
    const request = buildRequest();
    const state = emptyState();
    const result = await execute(request, state);

    const name = resourceNames(request.clientId, request.clientName).supabaseProject;
    expect(name).toBe(`client-${request.clientId.toLowerCase()}`);
    expect(result.outcome).toBe('created');
    expect(result.resources).toMatchObject({
      name,
      region: 'af-south-1',
      status: 'ACTIVE_HEALTHY',
      apiUrl: `https://${String(result.resources.ref)}.supabase.co`,
    });
    expect(result.resources).toEqual(
      expect.objectContaining({
        dbHost: expect.any(String),
        dbPort: expect.any(Number),
        dbName: expect.any(String),
        dbUser: expect.any(String),
      }),
    );
    expect(result.secrets?.dbPassword).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    expect(result.secrets?.anonKey).toBeTruthy();
    expect(result.secrets?.serviceRoleKey).toBeTruthy();
    expect(state.secrets.dbPassword).toBe(result.secrets?.dbPassword);
    expect(state.resources).toMatchObject({ ref: result.resources.ref, name });
    expect(await projectsNamed(name)).toHaveLength(1);
  });

  it('When run again after it succeeded, then it is skipped and creates nothing more', async () => {
    const request = buildRequest();
    const state = emptyState();
    const first = await execute(request, state);
    const before = (await creates()).length;

    const second = await execute(request, state);

    expect(second.outcome).toBe('skipped');
    expect(second.resources.ref).toBe(first.resources.ref);
    expect(second.secrets?.dbPassword).toBe(first.secrets?.dbPassword);
    expect((await creates()).length).toBe(before);
    expect(await projectsNamed(String(first.resources.name))).toHaveLength(1);
  });

  it('When the create answer is lost, then the retry finds the project by name and there is exactly one', async () => {
    const request = buildRequest();
    const state = emptyState();
    await ps.addFaults([
      { provider: 'supabase', operationId: 'v1-create-a-project', fault: 'lost-response', times: 1 },
    ]);

    const lost = await failure(execute(request, state));
    expect(lost).toMatchObject({ retryable: true });
    expect(state.secrets.dbPassword).toBeTruthy();

    const retry = await execute(request, state);
    expect(retry.secrets?.dbPassword).toBe(state.secrets.dbPassword);
    expect(await projectsNamed(resourceNames(request.clientId, request.clientName).supabaseProject)).toHaveLength(1);
  });

  it('When the token is wrong, then it fails without retry naming SUPABASE_MANAGEMENT_TOKEN', async () => {
    const supabase = new SupabaseClient({ ...ps.config.providers.supabase, token: 'sbp_wrong' }, 5000);
    const e = await failure(execute(buildRequest(), emptyState(), { ...ps.clients, supabase }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('SUPABASE_MANAGEMENT_TOKEN');
  });

  it('When the project ends INIT_FAILED, then it fails at once without retry', async () => {
    await ps.addFaults([{ provider: 'supabase', operationId: 'v1-create-a-project', fault: 'init-failed', times: 1 }]);
    const state = emptyState();
    const e = await failure(execute(buildRequest(), state));
    expect(e).toMatchObject({ code: 'RESOURCE_FAILED', retryable: false });
    expect(e.message).toContain('INIT_FAILED');
    expect(state.resources.ref).toBeTruthy();
  });

  it('When compensated, then the project is deleted, and a second compensation finds nothing', async () => {
    const request = buildRequest();
    const result = await execute(request);
    const compensate = (recorded: Record<string, string>) =>
      supabaseStep.compensate!(
        buildCompensationContext({ step: 'supabase', config: ps.config, clients: ps.clients, request, recorded }),
      );

    expect(await compensate({ ref: String(result.resources.ref) })).toBe('deleted');
    expect(await projectsNamed(String(result.resources.name))).toHaveLength(0);
    expect(await compensate({ ref: String(result.resources.ref) })).toBe('not_found');
  });

  it('When compensated with nothing recorded, then the project is still found by name and deleted', async () => {
    const request = buildRequest();
    const result = await execute(request);
    const ctx = buildCompensationContext({ step: 'supabase', config: ps.config, clients: ps.clients, request });
    expect(await supabaseStep.compensate!(ctx)).toBe('deleted');
    expect(await projectsNamed(String(result.resources.name))).toHaveLength(0);
  });
});

describe('supabase step, slow provisioning', () => {
  it('When the project is not ready within the bound, then it fails with a retryable RESOURCE_NOT_READY', async () => {
    const slow = await startProviderSandbox({ timeScale: 1 });
    try {
      const ctx = buildStepContext({
        step: 'supabase',
        config: slow.config,
        clients: slow.clients,
        request: buildRequest(),
        timings: { pollIntervalMs: 50, supabaseReadyTimeoutMs: 200 },
      });
      const e = await failure(supabaseStep.execute(ctx));
      expect(e).toMatchObject({ code: 'RESOURCE_NOT_READY', retryable: true });
    } finally {
      await slow.reset();
      await slow.close();
    }
  });
});
