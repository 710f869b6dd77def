import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import { createVercelEmulator } from '../../src/sandbox/vercel/vercel.emulator.js';
import {
  addFaults,
  caller,
  pollUntil,
  resetSandbox,
  sandboxCalls,
  sandboxState,
  startEmulator,
} from './emulator-test.harness.js';
import { headersOf, inSequence, limitedSandbox, secondsIn } from './rate-limit.helper.js';

let sandbox: RunningSandbox;
let vc: ReturnType<typeof caller>;
let seq = 0;
const uniqueName = () => `client-${Date.now().toString(36)}-${seq++}-app`;

beforeAll(async () => {
  sandbox = await startEmulator(createVercelEmulator);
  vc = caller(`${sandbox.url}/vercel`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.vercel}` });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await resetSandbox(sandbox);
});

async function createProject(name = uniqueName()) {
  const res = await vc('POST', '/v11/projects', {
    body: { name, framework: 'nextjs', gitRepository: { type: 'github', repo: `agency-clients/${name}` } },
  });
  expect(res.status).toBe(200);
  return res.body as { id: string; name: string };
}

const deployBody = (name: string) => ({
  name,
  project: name,
  target: 'production',
  gitSource: { type: 'github', org: 'agency-clients', repo: name, ref: 'main' },
});

describe('Vercel emulator: auth', () => {
  it('When the token is missing, then 403 forbidden with missingToken', async () => {
    const res = await caller(`${sandbox.url}/vercel`)('GET', '/v9/projects/x');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'forbidden', message: 'The request is missing an authentication token', missingToken: true },
    });
  });

  it('When the token is wrong, then 403 forbidden with invalidToken', async () => {
    const res = await vc('GET', '/v9/projects/x', { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } });
  });
});

describe('Vercel emulator: projects', () => {
  it('When a project is created, then 200 with its required fields and the git link; get finds it by id and by name', async () => {
    const name = uniqueName();
    const created = await vc('POST', '/v11/projects?teamId=team_abc', {
      body: { name, gitRepository: { type: 'github', repo: `agency-clients/${name}` } },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name,
      accountId: 'team_abc',
      directoryListing: false,
      nodeVersion: '22.x',
      resourceConfig: { functionDefaultRegions: ['iad1'] },
      defaultResourceConfig: { functionDefaultRegions: ['iad1'] },
      link: { type: 'github', org: 'agency-clients', repo: name, productionBranch: 'main' },
    });
    expect(created.body.id).toMatch(/^prj_/);

    expect((await vc('GET', `/v9/projects/${created.body.id}`)).body.name).toBe(name);
    expect((await vc('GET', `/v9/projects/${name}`)).body.id).toBe(created.body.id);
  });

  it('When the name is taken, then 409 conflict', async () => {
    const { name } = await createProject();
    const res = await vc('POST', '/v11/projects', { body: { name } });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: { code: 'conflict', message: 'A project with the provided name already exists.' },
    });
  });

  it('When the name is missing, too long or not lowercase, then 400 bad_request', async () => {
    for (const body of [{}, { name: 'x'.repeat(101) }, { name: 'Client-A' }]) {
      const res = await vc('POST', '/v11/projects', { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
  });

  it('When a project is deleted, then 204, its deployments go too, and get is 404 not_found', async () => {
    const { id, name } = await createProject();
    const dep = await vc('POST', '/v13/deployments', { body: deployBody(name) });
    expect((await vc('DELETE', `/v9/projects/${id}`)).status).toBe(204);
    const gone = await vc('GET', `/v9/projects/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: { code: 'not_found', message: 'Project not found' } });
    expect((await vc('GET', `/v13/deployments/${dep.body.id}`)).status).toBe(404);
    expect((await vc('DELETE', `/v9/projects/${id}`)).status).toBe(404);
  });
});

describe('Vercel emulator: env vars', () => {
  it('When a new variable is added, then 201 {created, failed}; a sensitive value is never answered in clear', async () => {
    const { id } = await createProject();
    const res = await vc('POST', `/v10/projects/${id}/env`, {
      body: { key: 'SERVICE_ROLE_KEY', value: 's3cret-value', type: 'sensitive', target: ['production'] },
    });
    expect(res.status).toBe(201);
    expect(res.body.failed).toEqual([]);
    expect(res.body.created).toMatchObject({ key: 'SERVICE_ROLE_KEY', type: 'sensitive', target: ['production'] });
    expect(res.text).not.toContain('s3cret-value');
    expect(JSON.stringify(await sandboxState(sandbox))).not.toContain('s3cret-value');
  });

  it('When a key already exists, then without upsert it is 403 ENV_ALREADY_EXISTS, and with ?upsert=true it is overwritten', async () => {
    const { id } = await createProject();
    const v = { key: 'APP_URL', value: 'https://a.example', type: 'plain', target: ['production', 'preview'] };
    expect((await vc('POST', `/v10/projects/${id}/env`, { body: [v] })).status).toBe(201);

    const dup = await vc('POST', `/v10/projects/${id}/env`, { body: { ...v, value: 'https://b.example' } });
    expect(dup.status).toBe(403);
    expect(dup.body.error).toMatchObject({ code: 'ENV_ALREADY_EXISTS', key: 'APP_URL' });

    const up = await vc('POST', `/v10/projects/${id}/env?upsert=true`, {
      body: [{ ...v, value: 'https://b.example' }],
    });
    expect(up.status).toBe(201);
    expect(up.body.created).toEqual([expect.objectContaining({ key: 'APP_URL', value: 'https://b.example' })]);
    const project = await vc('GET', `/v9/projects/${id}`);
    expect(project.body.env.filter((e: { key: string }) => e.key === 'APP_URL')).toHaveLength(1);
  });

  it('When a batch holds a new key and an existing one, then 201 with the existing one under failed', async () => {
    const { id } = await createProject();
    await vc('POST', `/v10/projects/${id}/env`, {
      body: { key: 'A', value: '1', type: 'plain', target: ['production'] },
    });
    const res = await vc('POST', `/v10/projects/${id}/env`, {
      body: [
        { key: 'A', value: '2', type: 'plain', target: ['production'] },
        { key: 'B', value: '3', type: 'plain', target: ['production'] },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.created).toEqual([expect.objectContaining({ key: 'B' })]);
    expect(res.body.failed).toEqual([{ error: expect.objectContaining({ code: 'ENV_ALREADY_EXISTS', key: 'A' }) }]);
  });

  it('When a variable lacks type, target or has a bad type, then 400; an unknown project is 404', async () => {
    const { id } = await createProject();
    for (const body of [
      { key: 'A', value: '1', target: ['production'] },
      { key: 'A', value: '1', type: 'plain' },
      { key: 'A', value: '1', type: 'clear', target: ['production'] },
    ]) {
      expect((await vc('POST', `/v10/projects/${id}/env`, { body })).status).toBe(400);
    }
    expect(
      (
        await vc('POST', '/v10/projects/prj_nope/env', {
          body: { key: 'A', value: '1', type: 'plain', target: ['production'] },
        })
      ).status,
    ).toBe(404);
  });
});

describe('Vercel emulator: deployments', () => {
  it('When a deployment is created, then 200 QUEUED, and it becomes READY; get finds it by id and by url', async () => {
    const { id, name } = await createProject();
    const created = await vc('POST', '/v13/deployments', { body: deployBody(name) });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      readyState: 'QUEUED',
      status: 'QUEUED',
      projectId: id,
      target: 'production',
      name,
      version: 2,
    });
    expect(created.body.id).toMatch(/^dpl_/);

    const seen = await pollUntil(
      () => vc('GET', `/v13/deployments/${created.body.id}`),
      (r) => r.body.readyState === 'READY',
    );
    const order = ['QUEUED', 'BUILDING', 'READY'];
    const states = seen.map((r) => order.indexOf(r.body.readyState));
    expect(states).toEqual([...states].sort((a, b) => a - b));
    expect((await vc('GET', `/v13/deployments/${created.body.url}`)).body.id).toBe(created.body.id);
    expect((await vc('GET', `/v9/projects/${id}`)).body.targets.production.id).toBe(created.body.id);
  });

  it('When a deployment-error fault is set, then the deployment ends ERROR', async () => {
    const { name } = await createProject();
    await addFaults(sandbox, [
      { provider: 'vercel', operationId: 'createDeployment', fault: 'deployment-error', times: 1 },
    ]);
    const created = await vc('POST', '/v13/deployments', { body: deployBody(name) });
    expect(created.status).toBe(200);
    const seen = await pollUntil(
      () => vc('GET', `/v13/deployments/${created.body.id}`),
      (r) => ['READY', 'ERROR'].includes(r.body.readyState),
    );
    expect(seen.at(-1)!.body.readyState).toBe('ERROR');
    const next = await vc('POST', '/v13/deployments', { body: deployBody(name) });
    await pollUntil(
      () => vc('GET', `/v13/deployments/${next.body.id}`),
      (r) => r.body.readyState === 'READY',
    );
  });

  it('When name is missing or an unknown project is named, then 400 or 404; an unknown deployment is 404 not_found', async () => {
    expect(
      (
        await vc('POST', '/v13/deployments', {
          body: { gitSource: { type: 'github', org: 'o', repo: 'r', ref: 'main' } },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await vc('POST', '/v13/deployments', {
          body: { ...deployBody('nope'), gitSource: { type: 'github', org: 'o', repo: 'r' } },
        })
      ).status,
    ).toBe(400);
    expect((await vc('POST', '/v13/deployments', { body: deployBody('no-such-project') })).status).toBe(404);
    const res = await vc('GET', '/v13/deployments/dpl_nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('The sandbox state lists projects with env keys (no values) and deployments', async () => {
    const { id, name } = await createProject();
    await vc('POST', `/v10/projects/${id}/env`, {
      body: { key: 'K', value: 'v-secret', type: 'encrypted', target: ['production'] },
    });
    const dep = await vc('POST', '/v13/deployments', { body: deployBody(name) });
    const state = await sandboxState(sandbox);
    expect(state.vercel.projects).toEqual([
      {
        id,
        name,
        link: expect.objectContaining({ repo: `agency-clients/${name}` }),
        env: [{ key: 'K', type: 'encrypted', target: ['production'] }],
      },
    ]);
    expect(state.vercel.deployments).toEqual([
      expect.objectContaining({ id: dep.body.id, projectId: id, target: 'production' }),
    ]);
  });
});

describe('Vercel emulator: faults', () => {
  it('When an http500 fault is set once, then one call gets the error envelope and the next succeeds', async () => {
    await addFaults(sandbox, [{ provider: 'vercel', operationId: 'createProject', fault: 'http500', times: 1 }]);
    const name = uniqueName();
    const failed = await vc('POST', '/v11/projects', { body: { name } });
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('internal_server_error');
    expect((await vc('POST', '/v11/projects', { body: { name } })).status).toBe(200);
    const calls = await sandboxCalls(sandbox);
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
  });
});

describe('Vercel emulator: rate limits', () => {
  // Two project creations a minute (6 s at this scale: no test here waits for it).
  const vl = limitedSandbox(createVercelEmulator, {
    prefix: '/vercel',
    credential: { authorization: `Bearer ${SANDBOX_CREDENTIALS.vercel}` },
    limits: { vercel: { createProject: { limit: 2, windowMs: 60_000 } } },
    timeScale: 0.1,
  });
  const create = (name: string, query = '') => vl.call('POST', `/v11/projects${query}`, { body: { name } });
  const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

  it('When an endpoint is called past its limit, then 429 rate_limited with limit {remaining, reset, resetMs, total}, x-ratelimit-* and retry-after', async () => {
    const within = await inSequence(2, (i) => create(`burst-${i}`));
    const over = await create('one-more');

    expect(
      within.map((a) => [a.status, a.headers.get('x-ratelimit-limit'), a.headers.get('x-ratelimit-remaining')]),
    ).toEqual([
      [200, '2', '1'],
      [200, '2', '0'],
    ]);
    expect(over.status).toBe(429);
    const { limit } = over.body.error;
    expect(over.body.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringContaining("'createProject'"),
    });
    expect(limit).toEqual({ remaining: 0, total: 2, reset: expect.any(Number), resetMs: expect.any(Number) });
    expect(limit.reset).toBe(Math.ceil(limit.resetMs / 1000));
    expect(limit.resetMs).toBeGreaterThan(Date.now());
    expect(headersOf(over, ...RATE_HEADERS)).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '0',
      // epoch seconds, the same instant as the body's
      'x-ratelimit-reset': String(limit.reset),
    });
    expect(secondsIn(over, 'retry-after')).toBeLessThanOrEqual(6);
    expect((await sandboxState(vl.sandbox)).vercel.projects).toHaveLength(2);
  });

  it('The limit is per endpoint and per account: other endpoints and another team still pass', async () => {
    await inSequence(3, (i) => create(`burst-${i}`));

    const otherEndpoint = await vl.call('GET', '/v9/projects/burst-0');
    const otherTeam = await create('team-project', '?teamId=team_other');

    expect(otherEndpoint.status).toBe(200);
    // an endpoint without a limit sends no rate-limit headers
    expect(otherEndpoint.headers.get('x-ratelimit-limit')).toBeNull();
    expect(otherTeam.status).toBe(200);
    expect(otherTeam.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it("By default a deployment counts against Vercel Pro's 6000 deployments a day", async () => {
    expect((await create('deployed')).status).toBe(200);

    const deployed = await vl.call('POST', '/v13/deployments', { body: deployBody('deployed') });

    expect(deployed.status).toBe(200);
    expect(headersOf(deployed, 'x-ratelimit-limit', 'x-ratelimit-remaining')).toEqual({
      'x-ratelimit-limit': '6000',
      'x-ratelimit-remaining': '5999',
    });
  });

  it('A request with a bad token is answered 403 forbidden and not counted', async () => {
    const refused = await inSequence(3, (i) =>
      vl.call('POST', '/v11/projects', { headers: { authorization: 'Bearer wrong' }, body: { name: `x-${i}` } }),
    );

    expect(refused.map((a) => [a.status, a.body.error.code])).toEqual(Array(3).fill([403, 'forbidden']));
    expect((await create('still-fine')).headers.get('x-ratelimit-remaining')).toBe('1');
  });
});
