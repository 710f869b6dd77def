import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../../src/sandbox/sandbox-credentials.js';
import { SUPABASE_SECOND_TOKEN, createSupabaseEmulator } from '../../src/sandbox/supabase/supabase.emulator.js';
import { caller, sandboxCalls, startEmulator } from './emulator-test.harness.js';
import {
  afterTheWindow,
  headersOf,
  inSequence,
  limitedSandbox,
  rateLimitReport,
  secondsIn,
} from './rate-limit.helper.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOKEN = SANDBOX_CREDENTIALS.supabase;

interface Project {
  id: string;
  ref: string;
  name: string;
  status: string;
  region: string;
  organization_slug: string;
  created_at: string;
}

function buildProjectBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `client-${randomUUID().slice(0, 8)}`,
    organization_slug: SANDBOX_DEFAULTS.supabaseOrg,
    db_pass: `pw-${randomUUID()}`,
    region_selection: { type: 'specific', code: 'eu-west-1' },
    ...overrides,
  };
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

async function queryOnce<T extends pg.QueryResultRow>(connectionString: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('Supabase Management API emulator', () => {
  let sandbox: RunningSandbox;

  const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const { token = TOKEN, ...rest } = init;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return fetch(`${sandbox.url}/supabase${path}`, { ...rest, headers });
  };
  const createProject = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('/v1/projects', { method: 'POST', body: JSON.stringify(buildProjectBody(overrides)) });
    expect(res.status).toBe(201);
    return (await res.json()) as Project;
  };
  const getProject = async (ref: string) =>
    (await call(`/v1/projects/${ref}`)).json() as Promise<Project & { database: Record<string, string> }>;
  const waitForStatus = async (ref: string, wanted: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const project = await getProject(ref);
      if (project.status === wanted || Date.now() > deadline) return project;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const addFault = (rule: Record<string, unknown>) =>
    fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ provider: 'supabase', ...rule }] }),
    });
  const sandboxState = async () =>
    (
      (await (await fetch(`${sandbox.url}/_sandbox/state`)).json()) as {
        supabase: { projects: Record<string, unknown>[] };
      }
    ).supabase;

  beforeAll(async () => {
    sandbox = await startEmulator(createSupabaseEmulator);
  });
  afterEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });
  afterAll(async () => {
    // reset drops every project's database.
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    await sandbox.close();
  });

  it('When the token is wrong or missing, then every operation answers 401 {message: "Unauthorized"}', async () => {
    const body = buildProjectBody();

    const wrong = await call('/v1/projects', { token: 'sbp_wrong' });
    const missing = await call('/v1/projects', { method: 'POST', token: null, body: JSON.stringify(body) });

    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: 'Unauthorized' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });
    expect((await sandboxState()).projects.some((p) => p.name === body.name)).toBe(false);
  });

  it('With rate limits off, answers carry no X-RateLimit-* headers', async () => {
    const res = await call('/v1/projects');

    expect(res.status).toBe(200);
    expect(res.headers.get('X-RateLimit-Limit')).toBeNull();
  });

  it('When a project is created, then it answers 201 with a 20-letter ref, COMING_UP, and turns ACTIVE_HEALTHY', async () => {
    const body = buildProjectBody();

    const res = await call('/v1/projects', { method: 'POST', body: JSON.stringify(body) });
    const created = (await res.json()) as Project;
    const healthy = await waitForStatus(created.ref, 'ACTIVE_HEALTHY');

    expect(res.status).toBe(201);
    expect(created.ref).toMatch(/^[a-z]{20}$/);
    expect(created).toMatchObject({
      id: created.ref,
      name: body.name,
      organization_slug: SANDBOX_DEFAULTS.supabaseOrg,
      region: 'eu-west-1',
      status: 'COMING_UP',
    });
    expect(healthy.status).toBe('ACTIVE_HEALTHY');
    expect(healthy.database).toEqual({
      host: '127.0.0.1',
      version: expect.any(String),
      postgres_engine: expect.any(String),
      release_channel: 'ga',
    });
    const listed = (await (await call('/v1/projects')).json()) as Project[];
    expect(listed.map((p) => p.ref)).toContain(created.ref);
  });

  it('When the create body lacks required fields, then it answers 400 {message} and creates nothing', async () => {
    const res = await call('/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'client-x' }) });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: expect.stringContaining('db_pass') });
    expect((await sandboxState()).projects.some((p) => p.name === 'client-x')).toBe(false);
  });

  it('When a ref is unknown, then get and delete answer 404 {message: "Project not found"}', async () => {
    const get = await call('/v1/projects/abcdefghijklmnopqrst');
    const del = await call('/v1/projects/abcdefghijklmnopqrst', { method: 'DELETE' });

    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({ message: 'Project not found' });
    expect(del.status).toBe(404);
  });

  it('When a project is created, then its real database exists with auth.uid(), and delete drops it', async () => {
    const project = await createProject();
    const dbName = `sbx_${project.ref}`;
    const dbUrl = new URL(DATABASE_URL);
    dbUrl.pathname = `/${dbName}`;

    const rows = await queryOnce<{ one: number; uid: string | null }>(
      dbUrl.toString(),
      "select 1 as one, to_regprocedure('auth.uid()')::text as uid",
    );
    const del = await call(`/v1/projects/${project.ref}`, { method: 'DELETE' });

    expect(rows).toEqual([{ one: 1, uid: 'auth.uid()' }]);
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id: expect.any(Number), ref: project.ref, name: project.name });
    expect(await databaseExists(dbName)).toBe(false);
    expect((await call(`/v1/projects/${project.ref}`)).status).toBe(404);
    expect((await sandboxState()).projects.some((p) => p.ref === project.ref)).toBe(false);
  });

  it('When api keys are read, then anon and service_role are legacy JWTs of this project, and the secret key shows only with reveal', async () => {
    const a = await createProject();
    const b = await createProject();

    const keysOf = async (ref: string, reveal: boolean) =>
      (await (await call(`/v1/projects/${ref}/api-keys?reveal=${reveal}`)).json()) as {
        name: string;
        type: string;
        api_key: string;
      }[];
    const aKeys = await keysOf(a.ref, false);
    const aRevealed = await keysOf(a.ref, true);
    const bKeys = await keysOf(b.ref, true);

    const legacy = (keys: typeof aKeys, name: string) =>
      keys.find((k) => k.name === name && k.type === 'legacy')?.api_key ?? '';
    const anon = legacy(aKeys, 'anon');
    expect(anon).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.parse(Buffer.from(anon.split('.')[1] ?? '', 'base64url').toString())).toMatchObject({
      ref: a.ref,
      role: 'anon',
    });
    expect(legacy(aKeys, 'service_role')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(legacy(bKeys, 'anon')).not.toBe(anon);
    const secret = (keys: typeof aKeys) => keys.find((k) => k.type === 'secret')?.api_key ?? '';
    expect(secret(aKeys)).toContain('·');
    expect(secret(aRevealed)).toMatch(/^sb_secret_[\w-]+$/);
    const state = JSON.stringify(await sandboxState());
    expect(state).not.toContain(anon);
    expect(state).not.toContain(secret(aRevealed));
  });

  it('When the pooler config is read, then its connection string, with the password filled in, reaches the project database', async () => {
    const body = buildProjectBody();
    const project = await createProject(body);

    const res = await call(`/v1/projects/${project.ref}/config/database/pooler`);
    const [pooler] = (await res.json()) as Record<string, unknown>[];
    const connectionString = String(pooler?.connection_string).replace(
      '[YOUR-PASSWORD]',
      encodeURIComponent(String(body.db_pass)),
    );
    const rows = await queryOnce<{ db: string }>(connectionString, 'select current_database() as db');

    expect(res.status).toBe(200);
    expect(pooler).toMatchObject({
      identifier: project.ref,
      database_type: 'PRIMARY',
      db_host: '127.0.0.1',
      db_port: Number(new URL(DATABASE_URL).port || 5432),
      db_name: `sbx_${project.ref}`,
      db_user: 'postgres',
      pool_mode: 'transaction',
    });
    expect(pooler?.connection_string).toContain('[YOUR-PASSWORD]');
    expect(rows).toEqual([{ db: `sbx_${project.ref}` }]);
    expect(JSON.stringify(await sandboxState())).not.toContain(String(body.db_pass));
  });

  it('When SQL runs on a healthy project, then it answers 201 with the rows; bad SQL answers 400 {message}', async () => {
    const project = await createProject();
    await waitForStatus(project.ref, 'ACTIVE_HEALTHY');

    const ok = await call(`/v1/projects/${project.ref}/database/query`, {
      method: 'POST',
      body: JSON.stringify({ query: 'select $1::int + 1 as n', parameters: [41] }),
    });
    const bad = await call(`/v1/projects/${project.ref}/database/query`, {
      method: 'POST',
      body: JSON.stringify({ query: 'select * from no_such_table' }),
    });

    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual([{ n: 42 }]);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: expect.stringContaining('no_such_table') });
  });

  it('When an init-failed fault is set, then the next project goes COMING_UP to INIT_FAILED', async () => {
    await addFault({ operationId: 'v1-create-a-project', fault: 'init-failed', times: 1 });

    const failing = await createProject();
    const normal = await createProject();

    expect(failing.status).toBe('COMING_UP');
    expect((await waitForStatus(failing.ref, 'INIT_FAILED')).status).toBe('INIT_FAILED');
    expect((await waitForStatus(normal.ref, 'ACTIVE_HEALTHY')).status).toBe('ACTIVE_HEALTHY');
  });

  it('When an http500 fault fires once, then the call answers 500 {message} once and then normally', async () => {
    await addFault({ operationId: 'v1-list-all-projects', fault: 'http500', times: 1 });

    const first = await call('/v1/projects');
    const second = await call('/v1/projects');

    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({ message: expect.any(String) });
    expect(second.status).toBe(200);
  });

  it('When the create response is lost, then the fetch fails but the project and its database exist', async () => {
    await addFault({ operationId: 'v1-create-a-project', fault: 'lost-response', times: 1 });
    const body = buildProjectBody();

    const outcome = await call('/v1/projects', { method: 'POST', body: JSON.stringify(body) }).then(
      () => 'answered',
      () => 'rejected',
    );

    expect(outcome).toBe('rejected');
    const found = (await sandboxState()).projects.find((p) => p.name === body.name);
    expect(found).toMatchObject({ status: expect.any(String), organization_slug: SANDBOX_DEFAULTS.supabaseOrg });
    expect(await databaseExists(`sbx_${String(found?.ref)}`)).toBe(true);
    const calls = (await (await fetch(`${sandbox.url}/_sandbox/calls`)).json()) as {
      operationId: string;
      fault?: string;
      status: number;
    }[];
    expect(calls).toContainEqual(
      expect.objectContaining({ operationId: 'v1-create-a-project', fault: 'lost-response', status: 0 }),
    );
  });
});

describe('Supabase Management API emulator with rate limits on', () => {
  // A window of 3 calls lasting 1.8 s (a minute at this scale): each test's calls fit well inside it.
  const sb = limitedSandbox(createSupabaseEmulator, {
    prefix: '/supabase',
    credential: { authorization: `Bearer ${TOKEN}` },
    limits: { supabase: { perEndpoint: { limit: 3 } } },
    timeScale: 0.03,
  });
  const REF_A = 'aaaaaaaaaaaaaaaaaaaa';
  const REF_B = 'bbbbbbbbbbbbbbbbbbbb';
  const RATE_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

  it('Every answer carries X-RateLimit-Limit (120 by default), -Remaining and -Reset in seconds, a 401 too', async () => {
    const real = await startEmulator(createSupabaseEmulator, { rateLimits: true, timeScale: 1 });
    try {
      const call = caller(`${real.url}/supabase`, { authorization: `Bearer ${TOKEN}` });

      const first = await call('GET', '/v1/projects');
      const second = await call('GET', '/v1/projects');
      const refused = await call('GET', '/v1/projects', { headers: { authorization: 'Bearer wrong' } });

      expect(first.status).toBe(200);
      expect(headersOf(first, 'X-RateLimit-Limit', 'X-RateLimit-Remaining')).toEqual({
        'X-RateLimit-Limit': '120',
        'X-RateLimit-Remaining': '119',
      });
      expect(second.headers.get('X-RateLimit-Remaining')).toBe('118');
      // seconds until the minute opened by the first call ends, not an epoch time
      expect(secondsIn(second, 'X-RateLimit-Reset')).toBeLessThanOrEqual(60);
      expect(refused.status).toBe(401);
      for (const h of RATE_HEADERS) expect(refused.headers.get(h)).not.toBeNull();
    } finally {
      await real.close();
    }
  });

  it('When one endpoint of one project gets more calls than the limit, then 429 {message} for the rest of the window, then it answers again', async () => {
    const getA = () => sb.call('GET', `/v1/projects/${REF_A}`);

    const within = await inSequence(3, getA);
    const over = await getA();
    const stillOver = await getA();
    const after = await afterTheWindow(getA, 429);

    expect(within.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(within.map((a) => a.headers.get('X-RateLimit-Remaining'))).toEqual(['2', '1', '0']);
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ message: 'Rate limit exceeded' });
    expect(headersOf(over, 'X-RateLimit-Limit', 'X-RateLimit-Remaining')).toEqual({
      'X-RateLimit-Limit': '3',
      'X-RateLimit-Remaining': '0',
    });
    expect(secondsIn(over, 'X-RateLimit-Reset')).toBeLessThanOrEqual(2);
    expect(stillOver.status).toBe(429);
    expect(after.status).toBe(404);
    expect(after.headers.get('X-RateLimit-Remaining')).toBe('2');
  });

  it('The limit is per scope and per endpoint: another project, another endpoint, an organization, the user each count apart', async () => {
    await inSequence(4, () => sb.call('GET', `/v1/projects/${REF_A}`));
    const createIn = (org: string) => sb.call('POST', '/v1/projects', { body: { organization_slug: org } });

    const otherProject = await sb.call('GET', `/v1/projects/${REF_B}`);
    const otherEndpoint = await sb.call('GET', `/v1/projects/${REF_A}/api-keys`);
    const orgA = await inSequence(4, () => createIn('org-a'));
    const orgB = await createIn('org-b');
    const userScope = await sb.call('GET', '/v1/projects');

    expect(otherProject.status).toBe(404);
    expect(otherProject.headers.get('X-RateLimit-Remaining')).toBe('2');
    expect(otherEndpoint.status).toBe(404);
    // a create counts against the organization of its body, even when the body is refused
    expect(orgA.map((a) => a.status)).toEqual([400, 400, 400, 429]);
    expect(orgB.status).toBe(400);
    expect(userScope.status).toBe(200);
    expect(userScope.headers.get('X-RateLimit-Remaining')).toBe('2');
  });

  it('All tokens of one user share its limit', async () => {
    const list = (token: string) => sb.call('GET', '/v1/projects', { headers: { authorization: `Bearer ${token}` } });

    const answers = [await list(TOKEN), await list(SUPABASE_SECOND_TOKEN), await list(TOKEN)];
    const overWithSecond = await list(SUPABASE_SECOND_TOKEN);
    const overWithFirst = await list(TOKEN);

    expect(answers.map((a) => a.headers.get('X-RateLimit-Remaining'))).toEqual(['2', '1', '0']);
    expect(overWithSecond.status).toBe(429);
    expect(overWithFirst.status).toBe(429);
  });

  it('Rate-limited answers are logged in /_sandbox/calls with their status and limit, and counted in /_sandbox/rate-limits', async () => {
    await inSequence(5, () => sb.call('GET', `/v1/projects/${REF_A}`));

    const calls = await sandboxCalls(sb.sandbox);
    const report = await rateLimitReport(sb.sandbox);

    expect(calls.map((c) => [c.status, c.rateLimited])).toEqual([
      [404, undefined],
      [404, undefined],
      [404, undefined],
      [429, 'per-endpoint'],
      [429, 'per-endpoint'],
    ]);
    expect(report).toMatchObject({
      enforced: true,
      limits: { supabase: { perEndpoint: { limit: 3, windowMs: 60_000 } } },
      total: 2,
      answers: [{ provider: 'supabase', operationId: 'v1-get-project', rule: 'per-endpoint', status: 429, count: 2 }],
    });
  });
});
