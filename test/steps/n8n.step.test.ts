import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { N8nClient } from '../../src/providers/n8n.client.js';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import { createN8nEmulator, createN8nV1Emulator } from '../../src/sandbox/n8n/n8n.emulator.js';
import { resourceNames } from '../../src/shared/names.js';
import { n8nWorkflowFor } from '../../src/steps/templates/n8n-workflow.js';
import { n8nStep } from '../../src/steps/n8n/n8n.step.js';
import { webhookIdFor } from '../../src/steps/n8n/webhook-id.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
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

const execute = (
  request: ProvisionRequest,
  state: RecordedState = emptyState(),
  sandbox = ps,
  clients = sandbox.clients,
) => n8nStep.execute(buildStepContext({ step: 'n8n', config: sandbox.config, clients, request, state }));
const compensate = (request: ProvisionRequest, recorded = {}) =>
  n8nStep.compensate!(
    buildCompensationContext({ step: 'n8n', config: ps.config, clients: ps.clients, request, recorded }),
  );
type NState = { workflows: { id: string; name: string; active: boolean; webhookPaths: string[] }[] };
const workflowsNamed = async (name: string, sandbox = ps) =>
  ((await sandbox.state()).n8n as NState).workflows.filter((w) => w.name === name);

describe('n8n step', () => {
  it('When run, then it creates the workflow, activates it, and its webhook answers', async () => {
    const request = buildRequest({ clientName: 'Acme_100% Lets' });
    const names = resourceNames(request.clientId, request.clientName);
    const result = await execute(request);

    expect(result.outcome).toBe('created');
    expect(result.resources).toEqual({
      workflowId: expect.any(String),
      name: names.n8nWorkflow,
      active: true,
      webhookPath: names.webhookPath,
      webhookUrl: `${ps.config.providers.n8n.baseUrl}/webhook/${names.webhookPath}`,
    });
    expect(await workflowsNamed(names.n8nWorkflow)).toEqual([
      expect.objectContaining({ id: result.resources.workflowId, active: true, webhookPaths: [names.webhookPath] }),
    ]);
    const webhookCalls = (await ps.calls()).filter((c) => c.provider === 'n8n' && c.operationId === 'webhook');
    expect(webhookCalls.at(-1)?.status).toBe(200);
    expect(await ps.clients.n8n.callWebhook(names.webhookPath, {})).toEqual({ status: 200 });
  });

  it('When the webhook is not registered yet right after activation, then the step waits until it answers', async () => {
    const request = buildRequest();
    await ps.addFaults([{ provider: 'n8n', operationId: 'webhook', fault: 'http4xx', status: 404, times: 3 }]);

    const result = await execute(request);

    const statuses = (await ps.calls())
      .filter((c) => c.operationId === 'webhook' && c.path.endsWith(String(result.resources.webhookPath)))
      .map((c) => c.status);
    expect(statuses).toEqual([404, 404, 404, 200]);
  });

  it('When the webhook never answers, then the step switches the workflow off and on once and fails retryably', async () => {
    const request = buildRequest();
    await ps.addFaults([{ provider: 'n8n', operationId: 'webhook', fault: 'http4xx', status: 404 }]);
    const state = emptyState();
    try {
      const e = await failure(execute(request, state));
      expect(e).toMatchObject({ code: 'RESOURCE_FAILED', retryable: true });
      expect(e.message).toContain('HTTP 404');
      const toggles = (await ps.calls()).filter(
        (c) => c.operationId === 'deactivateWorkflow' && c.path.includes(String(state.resources.workflowId)),
      );
      expect(toggles).toHaveLength(1);
    } finally {
      ps.sandbox.faults.clear();
      await compensate(request);
    }
  });

  it('When run again, even with nothing recorded, then it is skipped and creates nothing more', async () => {
    const request = buildRequest();
    const first = await execute(request);
    const creates = (await ps.calls()).filter((c) => c.operationId === 'createWorkflow').length;

    const second = await execute(request);

    expect(second.outcome).toBe('skipped');
    expect(second.resources.workflowId).toBe(first.resources.workflowId);
    expect((await ps.calls()).filter((c) => c.operationId === 'createWorkflow').length).toBe(creates);
  });

  it('When the create answer is lost, then the retry finds the workflow by name and there is exactly one', async () => {
    const request = buildRequest();
    const state = emptyState();
    await ps.addFaults([{ provider: 'n8n', operationId: 'createWorkflow', fault: 'lost-response', times: 1 }]);

    expect(await failure(execute(request, state))).toMatchObject({ retryable: true });
    const retry = await execute(request, state);

    expect(await workflowsNamed(String(retry.resources.name))).toEqual([expect.objectContaining({ active: true })]);
  });

  it('When workflows of that name already exist twice, then the oldest is kept and the extra deleted', async () => {
    const request = buildRequest();
    const names = resourceNames(request.clientId, request.clientName);
    const definition = n8nWorkflowFor({
      name: names.n8nWorkflow,
      webhookPath: names.webhookPath,
      webhookId: webhookIdFor(names.clientKey),
      clientId: names.clientKey,
    });
    const oldest = await ps.clients.n8n.createWorkflow(definition);
    await ps.clients.n8n.createWorkflow(definition);

    const result = await execute(request);

    expect(result.resources.workflowId).toBe(oldest.id);
    expect(await workflowsNamed(names.n8nWorkflow)).toEqual([expect.objectContaining({ id: oldest.id, active: true })]);
  });

  it('When the API key is wrong, then it fails without retry naming N8N_API_KEY', async () => {
    const n8n = new N8nClient({ ...ps.config.providers.n8n, apiKey: 'wrong' }, 5000);
    const e = await failure(execute(buildRequest(), emptyState(), ps, { ...ps.clients, n8n }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('N8N_API_KEY');
  });

  it('When compensated, then the workflow is deactivated and deleted, and a second compensation finds nothing', async () => {
    const request = buildRequest();
    const result = await execute(request);
    expect(await compensate(request, { workflowId: result.resources.workflowId })).toBe('deleted');
    expect(await workflowsNamed(String(result.resources.name))).toHaveLength(0);
    expect((await ps.clients.n8n.callWebhook(String(result.resources.webhookPath), {})).status).toBe(404);
    expect(await compensate(request, { workflowId: result.resources.workflowId })).toBe('not_found');
  });

  it('When the webhook id is derived, then it is a stable version-5 UUID per client', () => {
    expect(webhookIdFor('acme')).toBe(webhookIdFor('acme'));
    expect(webhookIdFor('acme')).not.toBe(webhookIdFor('acme2'));
    expect(webhookIdFor('acme')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('n8n step against n8n 1.x', () => {
  it('When the n8n is 1.x, then the workflow is created, activated and answers, and compensation removes it', async () => {
    const v1 = await startProviderSandbox({
      emulators: EMULATORS.map((e) => (e === createN8nEmulator ? createN8nV1Emulator : e)),
    });
    try {
      expect((await v1.state()).n8n.version).toBe(1);
      const request = buildRequest();
      const result = await execute(request, emptyState(), v1);
      expect(await workflowsNamed(String(result.resources.name), v1)).toEqual([
        expect.objectContaining({ active: true }),
      ]);
      const ctx = buildCompensationContext({
        step: 'n8n',
        config: v1.config,
        clients: v1.clients,
        request,
        recorded: result.resources,
      });
      expect(await n8nStep.compensate!(ctx)).toBe('deleted');
    } finally {
      await v1.close();
    }
  });
});
