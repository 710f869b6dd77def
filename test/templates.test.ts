import { describe, it, expect } from 'vitest';
import { clientConfigFor, enabledModules } from '../src/steps/templates/client-modules.js';
import { loadSchemaSql } from '../src/steps/templates/client-schema.js';
import { n8nWorkflowFor, type N8nWorkflowOptions } from '../src/steps/templates/n8n-workflow.js';
import { buildRequest } from './support/factories.js';

const buildWorkflowOptions = (overrides: Partial<N8nWorkflowOptions> = {}): N8nWorkflowOptions => ({
  name: 'Client acme-lodge - Acme Lodge',
  webhookPath: 'client-acme-lodge/content',
  webhookId: '3f0d8c52-5a2e-4f7b-9d61-0c1e2b3a4d5e',
  clientId: 'acme-lodge',
  ...overrides,
});

describe('module manifest', () => {
  it('enables a subset for starter, adds social for professional, and everything for enterprise', () => {
    expect(enabledModules('starter')).toEqual(['crm', 'email', 'content']);
    expect(enabledModules('professional')).toEqual(['crm', 'email', 'content', 'social']);
    expect(enabledModules('enterprise')).toEqual(['crm', 'email', 'content', 'social', 'accommodation']);
  });

  it("gives the client's copy its lowercase id, its tier and an enabled flag per module", () => {
    const config = clientConfigFor(buildRequest({ clientId: 'Acme-Lodge', clientName: 'Acme Lodge', tier: 'starter' }));

    expect(config).toMatchObject({ clientId: 'acme-lodge', clientName: 'Acme Lodge', tier: 'starter' });
    expect(Object.fromEntries(config.modules.map((m) => [m.id, m.enabled]))).toEqual({
      crm: true,
      email: true,
      content: true,
      social: false,
      accommodation: false,
    });
    for (const m of config.modules) expect(m.name && m.description).toBeTruthy();
  });

  it('writes the same copy for the same request, so a retried commit changes nothing', () => {
    const request = buildRequest();
    expect(JSON.stringify(clientConfigFor({ ...request }))).toBe(JSON.stringify(clientConfigFor({ ...request })));
  });
});

describe('n8n workflow', () => {
  it('wires a POST webhook on the client path to a node answering {ok, clientId}', () => {
    const wf = JSON.parse(JSON.stringify(n8nWorkflowFor(buildWorkflowOptions())));

    const [webhook, respond] = wf.nodes;
    expect(webhook).toMatchObject({
      type: 'n8n-nodes-base.webhook',
      typeVersion: 2,
      webhookId: '3f0d8c52-5a2e-4f7b-9d61-0c1e2b3a4d5e',
      parameters: { httpMethod: 'POST', path: 'client-acme-lodge/content', responseMode: 'responseNode' },
    });
    expect(respond).toMatchObject({ type: 'n8n-nodes-base.respondToWebhook', parameters: { respondWith: 'json' } });
    expect(JSON.parse(respond.parameters.responseBody)).toEqual({ ok: true, clientId: 'acme-lodge' });
    expect(wf.connections[webhook.name].main[0][0]).toMatchObject({ node: respond.name, type: 'main', index: 0 });
    expect(wf.settings).toEqual({ executionOrder: 'v1' });
    expect(JSON.stringify(wf)).not.toMatch(/\{\{\w+\}\}/);
  });

  it('keeps a client name with quotes, backslashes and braces intact through JSON', () => {
    const name = 'Client acme - "Bob\'s" \\ {{path}} Lodge';

    const wf = n8nWorkflowFor(buildWorkflowOptions({ name }));

    expect(JSON.parse(JSON.stringify(wf)).name).toBe(name);
  });

  it('refuses a client id that would break the JSON body of the respond node', () => {
    expect(() => n8nWorkflowFor(buildWorkflowOptions({ clientId: 'acme"lodge' }))).toThrow(/client id/);
  });
});

describe('schema template', () => {
  it('leaves the transaction to the step: no BEGIN or COMMIT in the file', async () => {
    const sql = await loadSchemaSql();

    expect(sql).toMatch(/create table if not exists/i);
    expect(sql).not.toMatch(/^\s*(begin|commit|rollback|start transaction)\b/im);
  });
});
