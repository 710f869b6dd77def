import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../../src/sandbox/sandbox-credentials.js';
import { addFaults, caller, pollUntil, resetSandbox, sandboxState, type HttpAnswer } from './emulator-test.harness.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ORG = SANDBOX_DEFAULTS.githubOrg;
const BACKUPS = SANDBOX_DEFAULTS.giteaBackupRepo;
const TEMPLATE = SANDBOX_DEFAULTS.githubTemplateRepo;

/** Sandboxes a test left open, and the instances it used: closed, then forgotten, after each test. */
const open = new Set<RunningSandbox>();
const used = new Set<string>();

function newInstance(): string {
  const instance = `test-world-${randomUUID().slice(0, 8)}`;
  used.add(instance);
  return instance;
}

async function start(instance: string, options: { port?: number; dropOnClose?: boolean } = {}) {
  const sandbox = await startSandbox({
    port: options.port ?? 0,
    databaseUrl: DATABASE_URL,
    timeScale: 0.01,
    rateLimits: false,
    logger: pino({ level: 'silent' }),
    emulators: EMULATORS,
    world: { instance, ...(options.dropOnClose ? { dropOnClose: true } : {}) },
  });
  open.add(sandbox);
  return sandbox;
}

async function stop(sandbox: RunningSandbox): Promise<void> {
  open.delete(sandbox);
  await sandbox.close();
}

/** Stopped and started again on the same port (so the URLs it hands out are the same), same instance. */
async function restart(sandbox: RunningSandbox, instance: string): Promise<RunningSandbox> {
  const port = Number(new URL(sandbox.url).port);
  await stop(sandbox);
  return start(instance, { port });
}

afterEach(async () => {
  for (const s of [...open]) await stop(s);
  // Started once more to be forgotten: its rows and its projects' databases go.
  for (const instance of [...used]) await stop(await start(instance, { dropOnClose: true }));
  used.clear();
});

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const storedKinds = async (instance: string) =>
  (
    await query<{ provider: string; kind: string; id: string }>(
      'select provider, kind, id from sandbox_state.documents where instance = $1 order by provider, kind, id',
      [instance],
    )
  ).map((r) => `${r.provider}/${r.kind}/${r.id}`);

const databaseExists = async (name: string) =>
  (await query('select 1 from pg_database where datname = $1', [name])).length === 1;

/** The five APIs with the sandbox's credentials. */
function apis(url: string) {
  return {
    supabase: caller(`${url}/supabase`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` }),
    github: caller(`${url}/github`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` }),
    vercel: caller(`${url}/vercel`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.vercel}` }),
    n8n: caller(`${url}/n8n`, { 'x-n8n-api-key': SANDBOX_CREDENTIALS.n8n }),
    gitea: caller(`${url}/gitea/api/v1`, { authorization: `token ${SANDBOX_CREDENTIALS.gitea}` }),
    hook: caller(`${url}/n8n/webhook`),
  };
}
type Apis = ReturnType<typeof apis>;

function ok(answer: HttpAnswer, status: number): HttpAnswer['body'] {
  expect(answer.status, answer.text).toBe(status);
  return answer.body;
}

/** One of everything a provisioning run makes, each settled (healthy, ready, active). */
async function buildWorld(api: Apis) {
  const id = randomUUID().slice(0, 8);
  const project = ok(
    await api.supabase('POST', '/v1/projects', {
      body: { name: `client-${id}`, organization_slug: SANDBOX_DEFAULTS.supabaseOrg, db_pass: `pw-${id}` },
    }),
    201,
  );
  const repo = `client-${id}-app`;
  ok(await api.github('POST', `/repos/${TEMPLATE}/generate`, { body: { owner: ORG, name: repo, private: true } }), 201);
  await pollUntil(
    () => api.github('GET', `/repos/${ORG}/${repo}`),
    (r) => r.status === 200,
  );
  const config = Buffer.from(JSON.stringify({ clientId: id })).toString('base64');
  ok(
    await api.github('PUT', `/repos/${ORG}/${repo}/contents/client-config.json`, {
      body: { message: 'client config', content: config },
    }),
    201,
  );
  const vercelProject = ok(
    await api.vercel('POST', '/v11/projects', {
      body: { name: repo, framework: 'nextjs', gitRepository: { type: 'github', repo: `${ORG}/${repo}` } },
    }),
    200,
  );
  ok(
    await api.vercel('POST', `/v10/projects/${vercelProject.id}/env`, {
      body: { key: 'CLIENT_ID', value: id, type: 'plain', target: ['production'] },
    }),
    201,
  );
  const deployment = ok(
    await api.vercel('POST', '/v13/deployments', {
      body: {
        name: repo,
        project: repo,
        target: 'production',
        gitSource: { type: 'github', org: ORG, repo, ref: 'main' },
      },
    }),
    200,
  );
  const webhookPath = `client-${id}/content`;
  const workflow = ok(
    await api.n8n('POST', '/api/v1/workflows', { body: webhookWorkflow(`Client ${id}`, webhookPath) }),
    200,
  );
  ok(await api.n8n('POST', `/api/v1/workflows/${workflow.id}/activate`), 200);
  const backup = `${id}/n8n-workflow.json`;
  ok(
    await api.gitea('POST', `/repos/${BACKUPS}/contents/${backup}`, {
      body: { message: 'backup', content: Buffer.from('{"nodes":[]}').toString('base64') },
    }),
    201,
  );
  await pollUntil(
    () => api.supabase('GET', `/v1/projects/${project.ref}`),
    (r) => r.body?.status === 'ACTIVE_HEALTHY',
  );
  await pollUntil(
    () => api.vercel('GET', `/v13/deployments/${deployment.id}`),
    (r) => r.body?.readyState === 'READY',
  );
  return {
    ref: project.ref as string,
    repo,
    vercelProject: vercelProject.id as string,
    deployment: deployment.id as string,
    workflow: workflow.id as string,
    webhookPath,
    backup,
  };
}
type World = Awaited<ReturnType<typeof buildWorld>>;

/** Every answer about the world a client could get, as the sandbox gives it now. */
async function answersAbout(api: Apis, w: World) {
  const reads: [keyof Apis, string][] = [
    ['supabase', `/v1/projects/${w.ref}`],
    ['supabase', `/v1/projects/${w.ref}/api-keys?reveal=true`],
    ['supabase', '/v1/projects'],
    ['github', `/repos/${ORG}/${w.repo}`],
    ['github', `/repos/${ORG}/${w.repo}/contents/client-config.json`],
    ['vercel', `/v9/projects/${w.vercelProject}`],
    ['vercel', `/v13/deployments/${w.deployment}`],
    ['n8n', `/api/v1/workflows/${w.workflow}`],
    ['n8n', '/api/v1/workflows'],
    ['gitea', `/repos/${BACKUPS}/contents/${w.backup}`],
    ['gitea', `/repos/${BACKUPS}`],
  ];
  const answers: Record<string, unknown> = {};
  for (const [provider, path] of reads) {
    const r = await api[provider]('GET', path);
    answers[`${provider} ${path}`] = { status: r.status, body: r.body };
  }
  const hook = await api.hook('POST', `/${w.webhookPath}`, { body: { ping: 1 } });
  answers.webhook = { status: hook.status, body: hook.body };
  return answers;
}

function webhookWorkflow(name: string, path: string) {
  return {
    name,
    nodes: [
      {
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: randomUUID(),
        parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
      },
      {
        name: 'Respond',
        type: 'n8n-nodes-base.respondToWebhook',
        typeVersion: 1.1,
        position: [200, 0],
        parameters: { respondWith: 'json', responseBody: '{"ok":true}', options: {} },
      },
    ],
    connections: { Webhook: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

describe('The sandbox keeps its world in Postgres', () => {
  it('When a sandbox is stopped and started again, then it answers exactly as before, its project database is still there, and new ids continue', async () => {
    const instance = newInstance();
    const first = await start(instance);
    const world = await buildWorld(apis(first.url));
    const before = await answersAbout(apis(first.url), world);
    const stateBefore = await sandboxState(first);

    const again = await restart(first, instance);
    const api = apis(again.url);

    expect(await answersAbout(api, world)).toEqual(before);
    expect(await sandboxState(again)).toEqual(stateBefore);
    expect(await databaseExists(`sbx_${world.ref}`)).toBe(true);
    const sql = await api.supabase('POST', `/v1/projects/${world.ref}/database/query`, {
      body: { query: 'select count(*)::int as users from auth.users' },
    });
    expect(ok(sql, 201)).toEqual([{ users: 0 }]);
    const generated = (before[`github /repos/${ORG}/${world.repo}`] as { body: { id: number } }).body.id;
    const nextRepo = ok(await api.github('POST', `/orgs/${ORG}/repos`, { body: { name: `r-${randomUUID()}` } }), 201);
    expect(nextRepo.id).toBe(generated + 1);
    const backups = (before[`gitea /repos/${BACKUPS}`] as { body: { id: number } }).body.id;
    const [owner] = BACKUPS.split('/');
    const nextGitea = ok(await api.gitea('POST', `/orgs/${owner}/repos`, { body: { name: `r-${randomUUID()}` } }), 201);
    expect(nextGitea.id).toBe(backups + 1);
  });

  it('When the sandbox is reset, then its stored world and project databases are gone, and a sandbox started again finds a fresh world', async () => {
    const instance = newInstance();
    const fresh = await start(instance);
    const freshState = await sandboxState(fresh);
    const freshRows = await storedKinds(instance);
    const world = await buildWorld(apis(fresh.url));
    const restarted = await restart(fresh, instance);

    await resetSandbox(restarted);
    const afterReset = await restart(restarted, instance);

    expect(await sandboxState(afterReset)).toEqual(freshState);
    expect(await storedKinds(instance)).toEqual(freshRows);
    expect(freshRows).toEqual([
      'gitea/counters/repository',
      'gitea/repos/ops-hub/client-backups',
      'github/counters/repository',
      'github/repos/agency-clients/client-app-template',
    ]);
    expect(await databaseExists(`sbx_${world.ref}`)).toBe(false);
    expect((await apis(afterReset.url).vercel('GET', `/v9/projects/${world.vercelProject}`)).status).toBe(404);
  });

  it('When a sandbox that forgets its world at close is closed, then nothing of its instance is left in Postgres', async () => {
    const instance = newInstance();
    const sandbox = await start(instance, { dropOnClose: true });
    const project = ok(
      await apis(sandbox.url).supabase('POST', '/v1/projects', {
        body: { name: 'client-gone', organization_slug: SANDBOX_DEFAULTS.supabaseOrg, db_pass: 'pw-gone-1234' },
      }),
      201,
    );

    await stop(sandbox);

    expect(await storedKinds(instance)).toEqual([]);
    expect(await query('select 1 from sandbox_state.instances where instance = $1', [instance])).toEqual([]);
    expect(await databaseExists(`sbx_${project.ref}`)).toBe(false);
  });

  it('When a create is answered, then it is already stored; and a create whose answer was lost is stored too', async () => {
    const instance = newInstance();
    const sandbox = await start(instance);
    const api = apis(sandbox.url);

    const answered = ok(
      await api.vercel('POST', '/v11/projects', { body: { name: `p-${randomUUID().slice(0, 8)}` } }),
      200,
    );
    const storedRightAfter = await storedKinds(instance);
    await addFaults(sandbox, [{ provider: 'n8n', operationId: 'createWorkflow', fault: 'lost-response' }]);
    const lost = await api
      .n8n('POST', '/api/v1/workflows', { body: webhookWorkflow('Client lost', 'client-lost/content') })
      .catch(() => 'connection dropped');
    const again = await restart(sandbox, instance);

    expect(storedRightAfter).toContain(`vercel/projects/${answered.id}`);
    expect(lost).toBe('connection dropped');
    expect((await sandboxState(again)).n8n.workflows).toEqual([
      expect.objectContaining({ name: 'Client lost', active: false }),
    ]);
  });

  it('When a sandbox stopped while a project’s database was being made starts again, then it makes the database and the project turns healthy', async () => {
    const instance = newInstance();
    const sandbox = await start(instance);
    const project = ok(
      await apis(sandbox.url).supabase('POST', '/v1/projects', {
        body: { name: 'client-interrupted', organization_slug: SANDBOX_DEFAULTS.supabaseOrg, db_pass: 'pw-int-1234' },
      }),
      201,
    );
    await stop(sandbox);
    // As stored by another request's flush while the create was still making the database.
    await query(
      `update sandbox_state.documents set doc = (doc::jsonb - 'databaseReadyAt')::json
       where instance = $1 and provider = 'supabase' and kind = 'projects' and id = $2`,
      [instance, project.ref],
    );
    await query(`drop database ${pg.escapeIdentifier(`sbx_${project.ref}`)} with (force)`, []);

    const again = await start(instance);

    expect(await databaseExists(`sbx_${project.ref}`)).toBe(true);
    await pollUntil(
      () => apis(again.url).supabase('GET', `/v1/projects/${project.ref}`),
      (r) => r.body?.status === 'ACTIVE_HEALTHY',
    );
  });

  it('When two sandboxes use different instances on one Postgres, then neither sees the other world; a second sandbox of a running instance is refused', async () => {
    const [one, other] = [newInstance(), newInstance()];
    const a = await start(one);
    const b = await start(other);
    ok(await apis(a.url).vercel('POST', '/v11/projects', { body: { name: 'only-in-a' } }), 200);

    const bAgain = await restart(b, other);

    expect((await sandboxState(bAgain)).vercel.projects).toEqual([]);
    expect((await sandboxState(a)).vercel.projects).toEqual([expect.objectContaining({ name: 'only-in-a' })]);
    await expect(start(one)).rejects.toThrow(`sandbox instance "${one}" is in use by another sandbox`);
  });
});
