import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { createN8nEmulator, createN8nV1Emulator } from '../../src/sandbox/n8n/n8n.emulator.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import { addFaults, caller, resetSandbox, sandboxState, startEmulator } from './emulator-test.harness.js';

const API = '/api/v1/workflows';
const NOT_REGISTERED = (path: string) => `The requested webhook "POST ${path}" is not registered.`;

/** A webhook node on `path` wired to a Respond to Webhook node, the shape the n8n step builds. */
function webhookWorkflow(
  name: string,
  path: string,
  options: { webhookId?: string | null; responseBody?: string } = {},
) {
  const webhook: Record<string, unknown> = {
    id: randomUUID(),
    name: 'Webhook',
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
  };
  if (options.webhookId !== null) webhook.webhookId = options.webhookId ?? randomUUID();
  return {
    name,
    nodes: [
      webhook,
      {
        id: randomUUID(),
        name: 'Respond',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion: 1.1,
        position: [200, 0],
        parameters: {
          respondWith: 'json',
          responseBody: options.responseBody ?? '{"ok":true,"source":"sandbox"}',
          options: {},
        },
      },
    ],
    connections: { Webhook: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

let sandbox: RunningSandbox;
let n8n: ReturnType<typeof caller>;
let hook: ReturnType<typeof caller>;
let seq = 0;
const uniquePath = () => `client-${Date.now().toString(36)}${seq++}/content`;

beforeAll(async () => {
  sandbox = await startEmulator(createN8nEmulator);
  n8n = caller(`${sandbox.url}/n8n`, { 'x-n8n-api-key': SANDBOX_CREDENTIALS.n8n });
  hook = caller(`${sandbox.url}/n8n/webhook`);
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await resetSandbox(sandbox);
});

async function create(body: object) {
  const res = await n8n('POST', API, { body });
  expect(res.status).toBe(200);
  return res.body as { id: string; name: string; active: boolean };
}

describe('n8n emulator: auth', () => {
  it('When X-N8N-API-KEY is missing (even with a Bearer token), then 401 "header required"', async () => {
    const res = await caller(`${sandbox.url}/n8n`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.n8n}` })('GET', API);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: "'X-N8N-API-KEY' header required" });
  });

  it('When the key is wrong, then 401 unauthorized', async () => {
    const res = await n8n('GET', API, { headers: { 'x-n8n-api-key': 'nope' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'unauthorized' });
  });
});

describe('n8n emulator: workflows', () => {
  it('When a workflow is created, then 200 with the bare workflow, get finds it, and delete answers 200 with it then 404', async () => {
    const created = await n8n('POST', API, { body: webhookWorkflow('Client a - A', uniquePath()) });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'Client a - A',
      active: false,
      isArchived: false,
      settings: { executionOrder: 'v1' },
    });
    expect(created.body.id).toMatch(/^[A-Za-z0-9]{16}$/);

    const got = await n8n('GET', `${API}/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.nodes).toHaveLength(2);

    const deleted = await n8n('DELETE', `${API}/${created.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.id).toBe(created.body.id);
    expect(await n8n('DELETE', `${API}/${created.body.id}`)).toMatchObject({
      status: 404,
      body: { message: 'Not Found' },
    });
    expect((await n8n('GET', `${API}/${created.body.id}`)).status).toBe(404);
  });

  it('When settings is missing, then 400 naming the required property', async () => {
    const { settings: _settings, ...body } = webhookWorkflow('x', uniquePath());
    const res = await n8n('POST', API, { body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: "request/body must have required property 'settings'" });
  });

  it('When active, id or tags is sent, then 400 read-only; any other unknown field is 400 additional properties', async () => {
    const base = webhookWorkflow('x', uniquePath());
    for (const field of ['active', 'id', 'tags']) {
      const res = await n8n('POST', API, {
        body: { ...base, [field]: field === 'active' ? true : field === 'id' ? 'abc' : [] },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(`request/body/${field} is read-only`);
    }
    const extra = await n8n('POST', API, { body: { ...base, colour: 'red' } });
    expect(extra).toMatchObject({ status: 400, body: { message: 'request/body must NOT have additional properties' } });
    const badSetting = await n8n('POST', API, { body: { ...base, settings: { nope: 1 } } });
    expect(badSetting.body.message).toBe('request/body/settings must NOT have additional properties');
  });

  it('When a fetched workflow is sent back as it is, then 400', async () => {
    const created = await create(webhookWorkflow('x', uniquePath()));
    const fetched = await n8n('GET', `${API}/${created.id}`);
    expect((await n8n('POST', API, { body: fetched.body })).status).toBe(400);
  });

  it('When the same name is created twice, then both succeed with different ids', async () => {
    const a = await create(webhookWorkflow('Client dup - D', uniquePath()));
    const b = await create(webhookWorkflow('Client dup - D', uniquePath()));
    expect(a.id).not.toBe(b.id);
  });

  it('When the body is malformed JSON, then 500 HTML; without a Content-Type, then 415', async () => {
    const bad = await n8n('POST', API, { body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(500);
    expect(bad.headers.get('content-type')).toMatch(/text\/html/);
    const noType = await n8n('POST', API, {
      body: new TextEncoder().encode(JSON.stringify(webhookWorkflow('x', uniquePath()))),
    });
    expect(noType.status).toBe(415);
  });

  it('The sandbox state lists workflows with their webhook paths', async () => {
    const path = uniquePath();
    const wf = await create(webhookWorkflow('Client s - S', path));
    const state = await sandboxState(sandbox);
    expect(state.n8n.workflows).toEqual([{ id: wf.id, name: 'Client s - S', active: false, webhookPaths: [path] }]);
  });
});

describe('n8n emulator: the list', () => {
  it('The name filter is a case-insensitive substring where % and _ are wildcards', async () => {
    await create(webhookWorkflow('Client acme - Acme Ltd', uniquePath()));
    await create(webhookWorkflow('Client acme2 - Other', uniquePath()));
    await create(webhookWorkflow('Client zeta - Zeta', uniquePath()));
    const names = async (filter: string) =>
      ((await n8n('GET', `${API}?name=${encodeURIComponent(filter)}`)).body.data as { name: string }[])
        .map((w) => w.name)
        .sort();

    expect(await names('ACME')).toEqual(['Client acme - Acme Ltd', 'Client acme2 - Other']);
    expect(await names('client a_me -')).toEqual(['Client acme - Acme Ltd']);
    expect(await names('Client%Zeta')).toEqual(['Client zeta - Zeta']);
    expect(await names('nothing')).toEqual([]);
  });

  it('The list pages with limit and nextCursor; limit over 250 is 400', async () => {
    for (let i = 0; i < 5; i++) await create(webhookWorkflow(`wf ${i}`, uniquePath()));
    const first = await n8n('GET', `${API}?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await n8n('GET', `${API}?cursor=${first.body.nextCursor}`);
    const third = await n8n('GET', `${API}?cursor=${second.body.nextCursor}`);
    expect(third.body.data).toHaveLength(1);
    expect(third.body.nextCursor).toBeNull();
    const all = [...first.body.data, ...second.body.data, ...third.body.data].map((w: { name: string }) => w.name);
    expect(new Set(all).size).toBe(5);

    expect((await n8n('GET', `${API}?limit=250`)).status).toBe(200);
    expect((await n8n('GET', `${API}?limit=251`)).status).toBe(400);
    expect((await n8n('GET', `${API}?cursor=garbage`)).status).toBe(400);
  });

  it('The active filter keeps only active (or inactive) workflows', async () => {
    const on = await create(webhookWorkflow('on', uniquePath()));
    await create(webhookWorkflow('off', uniquePath()));
    await n8n('POST', `${API}/${on.id}/activate`);
    const active = await n8n('GET', `${API}?active=true`);
    expect(active.body.data.map((w: { name: string }) => w.name)).toEqual(['on']);
  });
});

describe('n8n emulator: activation and the production webhook', () => {
  it('When the workflow is inactive, the webhook is 404; once active it answers the Respond node; after delete it is 404 again', async () => {
    const path = uniquePath();
    const wf = await create(webhookWorkflow('Client w - W', path, { responseBody: '{"ok":true,"client":"w"}' }));

    const before = await hook('POST', `/${path}`, { body: { hello: 1 } });
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ code: 404, message: NOT_REGISTERED(path) });
    expect(before.body.hint).toEqual(expect.any(String));

    const activated = await n8n('POST', `${API}/${wf.id}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ id: wf.id, active: true, activeVersionId: expect.any(String) });
    expect(activated.body).not.toHaveProperty('shared');
    expect((await n8n('POST', `${API}/${wf.id}/activate`)).status).toBe(200);

    const answered = await hook('POST', `/${path}`, { body: { hello: 1 } });
    expect(answered).toMatchObject({ status: 200, body: { ok: true, client: 'w' } });

    expect((await n8n('DELETE', `${API}/${wf.id}`)).status).toBe(200);
    expect((await hook('POST', `/${path}`, { body: {} })).status).toBe(404);
  });

  it('When deactivated, then the webhook is no longer registered', async () => {
    const path = uniquePath();
    const wf = await create(webhookWorkflow('x', path));
    await n8n('POST', `${API}/${wf.id}/activate`);
    const off = await n8n('POST', `${API}/${wf.id}/deactivate`);
    expect(off).toMatchObject({ status: 200, body: { active: false } });
    expect((await hook('POST', `/${path}`, { body: {} })).status).toBe(404);
  });

  it('When the webhook node has no webhookId, then activation succeeds but the path is only <id>/<node name>/<path>', async () => {
    const path = uniquePath();
    const wf = await create(webhookWorkflow('x', path, { webhookId: null }));
    expect((await n8n('POST', `${API}/${wf.id}/activate`)).status).toBe(200);
    const bare = await hook('POST', `/${path}`, { body: {} });
    expect(bare).toMatchObject({ status: 404, body: { message: NOT_REGISTERED(path) } });
    expect((await hook('POST', `/${wf.id}/webhook/${path}`, { body: {} })).status).toBe(200);
  });

  it('When another active workflow holds the same path, then activation is 400 conflict', async () => {
    const path = uniquePath();
    const first = await create(webhookWorkflow('first', path));
    const second = await create(webhookWorkflow('second', path));
    expect((await n8n('POST', `${API}/${first.id}/activate`)).status).toBe(200);
    const clash = await n8n('POST', `${API}/${second.id}/activate`);
    expect(clash).toMatchObject({ status: 400, body: { message: 'There is a conflict with one of the webhooks.' } });
    await n8n('POST', `${API}/${first.id}/deactivate`);
    expect((await n8n('POST', `${API}/${second.id}/activate`)).status).toBe(200);
  });

  it('When the workflow has no trigger node, then activation is 400; an unknown id is 404', async () => {
    const wf = await create({
      name: 'no trigger',
      nodes: [{ name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3, position: [0, 0], parameters: {} }],
      connections: {},
      settings: {},
    });
    const res = await n8n('POST', `${API}/${wf.id}/activate`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/no node to start the workflow/);
    expect(await n8n('POST', `${API}/nope/activate`)).toMatchObject({ status: 404, body: { message: 'Not Found' } });
  });

  it('2.x: publish and unpublish switch the workflow like activate and deactivate', async () => {
    const path = uniquePath();
    const wf = await create(webhookWorkflow('x', path));
    expect((await n8n('POST', `${API}/${wf.id}/publish`)).body.active).toBe(true);
    expect((await hook('POST', `/${path}`, { body: {} })).status).toBe(200);
    expect((await n8n('POST', `${API}/${wf.id}/unpublish`)).body.active).toBe(false);
    expect((await hook('POST', `/${path}`, { body: {} })).status).toBe(404);
  });

  it('When an http500 fault is set once on the list, then one call fails with {message} and the next succeeds', async () => {
    await addFaults(sandbox, [{ provider: 'n8n', operationId: 'getWorkflows', fault: 'http500', times: 1 }]);
    const failed = await n8n('GET', API);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ message: expect.any(String) });
    expect((await n8n('GET', API)).status).toBe(200);
  });
});

describe('n8n emulator: version 1.x', () => {
  let v1: RunningSandbox;
  let call: ReturnType<typeof caller>;
  beforeAll(async () => {
    v1 = await startEmulator(createN8nV1Emulator, { rateLimits: true });
    call = caller(`${v1.url}/n8n`, { 'x-n8n-api-key': SANDBOX_CREDENTIALS.n8n });
  });
  afterAll(async () => {
    await v1.close();
  });

  it('There is no publish route, and activate answers the workflow with `shared`', async () => {
    const path = uniquePath();
    const created = await call('POST', API, { body: webhookWorkflow('x', path) });
    expect((await call('POST', `${API}/${created.body.id}/publish`)).status).toBe(404);
    const activated = await call('POST', `${API}/${created.body.id}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body).toHaveProperty('shared');
    expect((await caller(`${v1.url}/n8n/webhook`)('POST', `/${path}`, { body: {} })).status).toBe(200);
  });

  it('n8n enforces no rate limit on its public API, even with rate limits on', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => call('GET', `${API}?limit=1`)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });
});
