import { OpenAPIBackend, type Document } from 'openapi-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';
import { newAjv2020, openApi31Problems } from './openapi-document.js';

let h: Harness;
let doc: Record<string, any>;
let api: OpenAPIBackend;
beforeAll(async () => {
  h = await startHarness();
  const res = await h.request('GET', '/api/openapi.json', { token: null });
  expect(res.status).toBe(200);
  doc = res.body;
  // Response schemas are JSON Schema 2020-12 (OpenAPI 3.1): validated with Ajv's 2020 dialect.
  api = new OpenAPIBackend({
    definition: structuredClone(doc) as Document,
    quick: true,
    ajvOpts: { allErrors: true },
    customizeAjv: () => newAjv2020() as never,
  });
  await api.init();
});
afterAll(async () => {
  await h?.close();
});

type Answer = Awaited<ReturnType<Harness['request']>>;
/** What the description says is wrong with a real answer to `method path` (empty: it matches). */
function mismatches(method: string, path: string, answer: Answer): string[] {
  const op = api.router.matchOperation({ method, path: path.split('?')[0]!, headers: {} });
  if (!op) return [`no operation for ${method} ${path}`];
  const documented = (op.responses as Record<string, { content?: Record<string, unknown> }>)[String(answer.status)];
  if (!documented) return [`${op.operationId}: ${answer.status} is not documented`];
  const types = Object.keys(documented.content ?? {});
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!;
  if (types.length && !types.includes(type)) return [`${op.operationId}: ${type} is not ${types.join(' | ')}`];
  if (type !== 'application/json') return [];
  const result = api.validator.validateResponse(answer.body, op, answer.status);
  return (result.errors ?? []).map((e) => `${op.operationId} ${answer.status}: ${e.instancePath} ${e.message}`);
}

async function answer(method: string, path: string, options?: Parameters<Harness['request']>[2]) {
  const res = await h.request(method, path, options);
  expect(mismatches(method, path, res), `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`).toEqual([]);
  return res;
}

describe('GET /api/openapi.json', () => {
  it('When the description is fetched without a token, then it is a valid OpenAPI 3.1 document generated from the schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(openApi31Problems(doc)).toEqual([]);
    const body = doc.components.schemas.ProvisionRequest;
    expect(body.required).toEqual(['clientId', 'clientName', 'orgEmail', 'tier']);
    expect(body.additionalProperties).toBe(false);
    expect(doc.components.schemas.RunView.properties.state.enum).toContain('rollback_failed');
    expect(doc.paths['/api/provisioning'].get.parameters.map((p: any) => p.name)).toEqual(['clientId', 'limit']);
  });

  it('When a document or an answer is wrong, then the checks say so', () => {
    const broken = structuredClone(doc);
    broken.paths['/api/provisioning'].post.requestbody = broken.paths['/api/provisioning'].post.requestBody;
    broken.paths['/api/provisioning/{runId}'].get.parameters = [];
    broken.components.schemas.Accepted.properties.runId = { type: 'uuid' };
    const problems = openApi31Problems(broken).join('\n');
    expect(problems).toMatch(/structure:.*additional properties/);
    expect(problems).toMatch(/\{runId\} not declared/);
    expect(problems).toMatch(/Accepted is not JSON Schema 2020-12/);

    const getRun = api.router.getOperation('getRun')!;
    expect(api.validator.validateResponse({ runId: 'x', state: 'done' }, getRun, 200).errors?.length).toBeGreaterThan(
      0,
    );
  });

  it('When a request body is checked against the description, then a valid one passes and a bad one does not', () => {
    const post = api.router.getOperation('startProvisioning')!;
    const request = (body: unknown) => ({ method: 'post', path: '/api/provisioning', headers: {}, body });
    expect(api.validator.validateRequest(request(buildRequest()), post).errors ?? []).toEqual([]);
    expect(api.validator.validateRequest(request({ ...buildRequest(), tier: 'gold' }), post).errors).toBeTruthy();
    expect(api.validator.validateRequest(request({ ...buildRequest(), extra: 1 }), post).errors).toBeTruthy();
  });
});

describe("the API's real answers match its description", () => {
  it('When a client is provisioned, then the 202, the run at every poll, the list and a second POST (409) match', async () => {
    const req = buildRequest();
    const posted = await answer('POST', '/api/provisioning', { body: req });
    expect(posted.status).toBe(202);
    const path = `/api/provisioning/${posted.body.runId}`;
    await expect
      .poll(async () => (await answer('GET', path, { token: h.tokens.viewer })).body.state, { timeout: 30_000 })
      .toBe('succeeded');
    const run = await answer('GET', path);
    expect(Object.keys(run.body.resources)).toEqual(expect.arrayContaining(['supabase', 'github', 'vercel']));
    expect((await answer('GET', `/api/provisioning?clientId=${req.clientId}`)).status).toBe(200);
    expect((await answer('GET', '/api/provisioning?limit=5')).status).toBe(200);
    expect((await answer('POST', '/api/provisioning', { body: req })).status).toBe(409);
    expect((await answer('POST', `${path}/retry`)).status).toBe(409);
    expect((await answer('POST', `${path}/rollback`)).status).toBe(202);
  });

  it('When requests are refused (400, 401, 403, 404, 413), then every answer matches', async () => {
    expect((await answer('POST', '/api/provisioning', { body: { clientId: 'a' } })).status).toBe(400);
    expect((await answer('GET', '/api/provisioning?limit=0')).status).toBe(400);
    expect((await answer('POST', '/api/provisioning', { body: buildRequest(), token: null })).status).toBe(401);
    expect((await answer('GET', '/api/provisioning', { token: 'not-a-token-not-a-token' })).status).toBe(401);
    expect((await answer('POST', '/api/provisioning', { body: buildRequest(), token: h.tokens.viewer })).status).toBe(
      403,
    );
    const unknown = '/api/provisioning/00000000-0000-4000-8000-000000000000';
    expect((await answer('GET', unknown)).status).toBe(404);
    expect((await answer('POST', `${unknown}/retry`)).status).toBe(404);
    const big = { ...buildRequest(), clientName: 'x'.repeat(17_000) };
    expect((await answer('POST', '/api/provisioning', { body: big })).status).toBe(413);
    expect((await answer('GET', '/metrics', { token: null })).status).toBe(401);
    expect((await answer('GET', '/metrics')).status).toBe(200);
    expect((await answer('GET', '/healthz', { token: null })).status).toBe(200);
  });
});

describe('GET /api/docs', () => {
  it('When the reference page is opened, then it shows every operation and schema, and loads nothing from elsewhere', async () => {
    const res = await fetch(`${h.api}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const item of Object.values<Record<string, any>>(doc.paths))
      for (const op of Object.values(item)) expect(html).toContain(`id="${op.operationId}"`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});
