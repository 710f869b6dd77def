import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GiteaClient } from '../../src/providers/gitea.client.js';
import { resourceNames } from '../../src/shared/names.js';
import { n8nWorkflowFor } from '../../src/steps/templates/n8n-workflow.js';
import { backupStep } from '../../src/steps/backup/backup.step.js';
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

/** A client with its n8n workflow in the sandbox, as the n8n step leaves it. */
async function clientWithWorkflow(): Promise<{ request: ProvisionRequest; workflowId: string }> {
  const request = buildRequest();
  const names = resourceNames(request.clientId, request.clientName);
  const wf = await ps.clients.n8n.createWorkflow(
    n8nWorkflowFor({
      name: names.n8nWorkflow,
      webhookPath: names.webhookPath,
      webhookId: webhookIdFor(names.clientKey),
      clientId: names.clientKey,
    }),
  );
  return { request, workflowId: wf.id };
}

const execute = (
  c: { request: ProvisionRequest; workflowId: string },
  state: RecordedState = emptyState(),
  clients = ps.clients,
) =>
  backupStep.execute(
    buildStepContext({
      step: 'backup',
      config: ps.config,
      clients,
      request: c.request,
      state,
      inputs: { n8n: { resources: { workflowId: c.workflowId }, secrets: {} } },
    }),
  );
const compensate = (request: ProvisionRequest) =>
  backupStep.compensate!(buildCompensationContext({ step: 'backup', config: ps.config, clients: ps.clients, request }));
const filesAt = async (path: string) =>
  ((await ps.state()).gitea.files as { repo: string; path: string; sha: string }[]).filter((f) => f.path === path);
const writes = async () =>
  (await ps.calls()).filter((c) => c.operationId === 'repoCreateFile' || c.operationId === 'repoUpdateFile').length;
const backupOf = async (path: string) => {
  const file = await ps.clients.gitea.getFile('ops-hub', 'client-backups', path);
  return file ? Buffer.from(file.content ?? '', 'base64').toString('utf8') : null;
};

describe('backup step', () => {
  it('When run, then the workflow JSON lands at {id}/n8n-workflow.json in the backup repo', async () => {
    const c = await clientWithWorkflow();
    const path = `${c.request.clientId.toLowerCase()}/n8n-workflow.json`;

    const result = await execute(c);

    expect(result.outcome).toBe('created');
    const [file] = await filesAt(path);
    expect(result.resources).toEqual({ repo: 'ops-hub/client-backups', path, sha: file?.sha });
    const saved = JSON.parse((await backupOf(path))!);
    expect(saved).toMatchObject({
      id: c.workflowId,
      name: resourceNames(c.request.clientId, c.request.clientName).n8nWorkflow,
    });
    expect(saved).not.toHaveProperty('updatedAt');
    expect((await backupOf(path))!.split('\n')[1]).toMatch(/^ {2}"/);
  });

  it('When run again with the workflow unchanged, then it is skipped and writes nothing', async () => {
    const c = await clientWithWorkflow();
    const first = await execute(c);
    const before = await writes();

    const second = await execute(c);

    expect(second).toEqual({ outcome: 'skipped', resources: first.resources });
    expect(await writes()).toBe(before);
  });

  it('When the workflow changed, then the file is updated with its current sha', async () => {
    const c = await clientWithWorkflow();
    const first = await execute(c);
    await ps.clients.n8n.activate(c.workflowId);

    const second = await execute(c);

    expect(second.outcome).toBe('created');
    expect(second.resources.sha).not.toBe(first.resources.sha);
    expect(JSON.parse((await backupOf(String(first.resources.path)))!).active).toBe(true);
  });

  it('When the create answer is lost, then the retry finds the file and there is exactly one', async () => {
    const c = await clientWithWorkflow();
    const state = emptyState();
    await ps.addFaults([{ provider: 'gitea', operationId: 'repoCreateFile', fault: 'lost-response', times: 1 }]);

    expect(await failure(execute(c, state))).toMatchObject({ retryable: true });
    const retry = await execute(c, state);

    expect(retry.outcome).toBe('skipped');
    expect(await filesAt(String(retry.resources.path))).toHaveLength(1);
  });

  it('When the token is wrong, then it fails without retry naming GITEA_TOKEN', async () => {
    const gitea = new GiteaClient({ ...ps.config.providers.gitea, token: 'wrong' }, 5000);
    const e = await failure(execute(await clientWithWorkflow(), emptyState(), { ...ps.clients, gitea }));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('GITEA_TOKEN');
  });

  it('When compensated, then the file is deleted, and a second compensation finds nothing', async () => {
    const c = await clientWithWorkflow();
    const result = await execute(c);
    expect(await compensate(c.request)).toBe('deleted');
    expect(await filesAt(String(result.resources.path))).toHaveLength(0);
    expect(await compensate(c.request)).toBe('not_found');
  });
});
