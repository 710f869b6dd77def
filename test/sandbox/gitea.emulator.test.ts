import { createHash, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { createGiteaEmulator } from '../../src/sandbox/gitea/gitea.emulator.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../../src/sandbox/sandbox-credentials.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REPO = SANDBOX_DEFAULTS.giteaBackupRepo;

const b64 = (text: string) => Buffer.from(text).toString('base64');
const blobSha = (text: string) =>
  createHash('sha1')
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest('hex');
const backupPath = () => `client-${randomUUID().slice(0, 8)}/n8n-workflow.json`;

interface FileAnswer {
  content: { sha: string; path: string; type: string };
  commit: { sha: string; message: string };
}

describe('Gitea API emulator', () => {
  let sandbox: RunningSandbox;

  const call = (path: string, init: { method?: string; body?: unknown; auth?: string | null } = {}) => {
    const { method = 'GET', body, auth = `token ${SANDBOX_CREDENTIALS.gitea}` } = init;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== null) headers.authorization = auth;
    return fetch(`${sandbox.url}/gitea/api/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  };
  const contents = (path: string) => `/repos/${REPO}/contents/${path}`;
  const createFile = async (path: string, text: string) => {
    const res = await call(contents(path), { method: 'POST', body: { content: b64(text), message: `backup ${path}` } });
    expect(res.status).toBe(201);
    return (await res.json()) as FileAnswer;
  };
  const giteaState = async () =>
    (
      (await (await fetch(`${sandbox.url}/_sandbox/state`)).json()) as {
        gitea: { repos: { full_name: string }[]; files: { repo: string; path: string; sha: string }[] };
      }
    ).gitea;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      databaseUrl: DATABASE_URL,
      timeScale: 0.01,
      rateLimits: false,
      logger: pino({ level: 'silent' }),
      emulators: [createGiteaEmulator],
    });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("When the token is missing or wrong, then it answers 401 with Gitea's {message, url}", async () => {
    const missing = await call(`/repos/${REPO}`, { auth: null });
    const wrong = await call(`/repos/${REPO}`, { auth: 'token nope' });

    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'token is required', url: `${sandbox.url}/gitea/api/swagger` });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      message: expect.stringContaining('user does not exist'),
      url: expect.any(String),
    });
  });

  it('When the sandbox starts, then the backup repo exists and answers with a Bearer token too', async () => {
    const res = await call(`/repos/${REPO}`, { auth: `Bearer ${SANDBOX_CREDENTIALS.gitea}` });

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      full_name: REPO,
      name: 'client-backups',
      default_branch: 'main',
      owner: { login: 'ops-hub' },
    });
  });

  it('When a file is created, then it answers 201 and reads back with base64 content and its git blob sha', async () => {
    const path = backupPath();
    const text = '{"name":"Client acme"}';

    const created = await createFile(path, text);
    const read = await call(contents(path));
    const body = (await read.json()) as Record<string, unknown>;

    expect(created.content).toMatchObject({ path, type: 'file', sha: blobSha(text) });
    expect(created.commit.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(read.status).toBe(200);
    expect(body).toMatchObject({
      path,
      type: 'file',
      encoding: 'base64',
      content: b64(text),
      sha: blobSha(text),
      size: text.length,
    });
    expect((await giteaState()).files).toContainEqual({ repo: REPO, path, sha: blobSha(text) });
    expect(JSON.stringify(await giteaState())).not.toContain(b64(text));
  });

  it('When a file is created twice, then the second answers 422 "repository file already exists"', async () => {
    const path = backupPath();
    await createFile(path, 'one');

    const again = await call(contents(path), { method: 'POST', body: { content: b64('two') } });

    expect(again.status).toBe(422);
    expect(await again.json()).toMatchObject({ message: `repository file already exists [path: ${path}]` });
  });

  it('When a file is updated with its current sha, then it answers 200; with a stale sha, 422', async () => {
    const path = backupPath();
    const first = await createFile(path, 'v1');

    const updated = await call(contents(path), { method: 'PUT', body: { content: b64('v2'), sha: first.content.sha } });
    const stale = await call(contents(path), { method: 'PUT', body: { content: b64('v3'), sha: first.content.sha } });

    expect(updated.status).toBe(200);
    expect(((await updated.json()) as FileAnswer).content.sha).toBe(blobSha('v2'));
    expect(stale.status).toBe(422);
    expect(await stale.json()).toMatchObject({
      message: `sha does not match [given: ${first.content.sha}, expected: ${blobSha('v2')}]`,
    });
    const read = (await (await call(contents(path))).json()) as { content: string };
    expect(Buffer.from(read.content, 'base64').toString()).toBe('v2');
  });

  it('When PUT has no sha, then it creates an absent file (201) and refuses an existing one (422)', async () => {
    const path = backupPath();

    const created = await call(contents(path), { method: 'PUT', body: { content: b64('new') } });
    const again = await call(contents(path), { method: 'PUT', body: { content: b64('newer') } });

    expect(created.status).toBe(201);
    expect(again.status).toBe(422);
  });

  it('When content is not base64 or is missing, then it answers 422 and writes nothing', async () => {
    const path = backupPath();

    const notBase64 = await call(contents(path), { method: 'POST', body: { content: 'not base64!' } });
    const missing = await call(contents(path), { method: 'POST', body: { message: 'x' } });

    expect(notBase64.status).toBe(422);
    expect(await notBase64.json()).toMatchObject({ message: expect.stringContaining('illegal base64 data') });
    expect(missing.status).toBe(422);
    expect((await call(contents(path))).status).toBe(404);
  });

  it('When a file is deleted, then it needs its sha (422 without or wrong), answers 200, and then the file is 404', async () => {
    const path = backupPath();
    const file = await createFile(path, 'bye');

    const noSha = await call(contents(path), { method: 'DELETE', body: {} });
    const wrongSha = await call(contents(path), { method: 'DELETE', body: { sha: 'f'.repeat(40) } });
    const deleted = await call(contents(path), { method: 'DELETE', body: { sha: file.content.sha } });
    const again = await call(contents(path), { method: 'DELETE', body: { sha: file.content.sha } });

    expect(noSha.status).toBe(422);
    expect(wrongSha.status).toBe(422);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toMatchObject({
      content: null,
      commit: { sha: expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
    expect(again.status).toBe(404);
    expect((await call(contents(path))).status).toBe(404);
    expect((await giteaState()).files.some((f) => f.path === path)).toBe(false);
  });

  it('When a repo or file does not exist, then it answers 404 with {message, url}', async () => {
    const noRepo = await call('/repos/ops-hub/no-such-repo');
    const noFile = await call(contents(backupPath()));
    const noRepoFile = await call('/repos/ops-hub/no-such-repo/contents/a.json');

    expect(noRepo.status).toBe(404);
    expect(await noRepo.json()).toEqual({ message: expect.any(String), url: expect.any(String) });
    expect(noFile.status).toBe(404);
    expect(noRepoFile.status).toBe(404);
  });

  it('When an org repo is created, then it answers 201; the same name again 409; delete 204 then 404', async () => {
    const name = `repo-${randomUUID().slice(0, 8)}`;

    const created = await call('/orgs/ops-hub/repos', { method: 'POST', body: { name, private: true } });
    const duplicate = await call('/orgs/ops-hub/repos', { method: 'POST', body: { name } });
    const deleted = await call(`/repos/ops-hub/${name}`, { method: 'DELETE' });
    const gone = await call(`/repos/ops-hub/${name}`);

    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name, full_name: `ops-hub/${name}`, private: true, empty: true });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ message: 'The repository with the same name already exists.' });
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it('When the sandbox is reset, then the backup repo is back and empty', async () => {
    await createFile(backupPath(), 'before reset');
    await call(`/repos/${REPO}`, { method: 'DELETE' });

    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });

    expect((await call(`/repos/${REPO}`)).status).toBe(200);
    expect((await giteaState()).files).toEqual([]);
  });
});
