import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { GITHUB_TOKEN_NO_DELETE, createGithubEmulator } from '../../src/sandbox/github/github.emulator.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import {
  addFaults,
  caller,
  pollUntil,
  resetSandbox,
  sandboxCalls,
  sandboxState,
  startEmulator,
} from './emulator-test.harness.js';

const TEMPLATE = '/repos/agency-clients/client-app-template';
const b64 = (text: string) => Buffer.from(text).toString('base64');

let sandbox: RunningSandbox;
let gh: ReturnType<typeof caller>;
let seq = 0;
const uniqueName = () => `client-${Date.now().toString(36)}-${seq++}-app`;

beforeAll(async () => {
  sandbox = await startEmulator(createGithubEmulator);
  gh = caller(`${sandbox.url}/github`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await resetSandbox(sandbox);
});

async function createRepo(name = uniqueName(), autoInit = true) {
  const res = await gh('POST', '/orgs/agency-clients/repos', { body: { name, private: true, auto_init: autoInit } });
  expect(res.status).toBe(201);
  return name;
}

describe('GitHub emulator: auth', () => {
  it('When the token is wrong, then it answers 401 Bad credentials as a basic-error', async () => {
    const res = await gh('GET', TEMPLATE, { headers: { authorization: 'Bearer ghp_wrong' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  });

  it('When there is no Authorization header, then it answers 401', async () => {
    const res = await caller(`${sandbox.url}/github`)('GET', TEMPLATE);
    expect(res.status).toBe(401);
    expect(res.body.status).toBe('401');
  });

  it('When the token is sent with the `token` scheme, then it is accepted', async () => {
    const res = await gh('GET', TEMPLATE, { headers: { authorization: `token ${SANDBOX_CREDENTIALS.github}` } });
    expect(res.status).toBe(200);
    expect(res.body.is_template).toBe(true);
  });
});

describe('GitHub emulator: repositories', () => {
  it('When a repo is created in the org, then it answers 201 with a full-repository and a Location, and get finds it', async () => {
    const name = uniqueName();
    const created = await gh('POST', '/orgs/agency-clients/repos', { body: { name, private: true } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${sandbox.url}/github/repos/agency-clients/${name}`);
    expect(created.body).toMatchObject({
      name,
      full_name: `agency-clients/${name}`,
      private: true,
      visibility: 'private',
      default_branch: 'main',
    });
    for (const field of [
      'archive_url',
      'owner',
      'license',
      'mirror_url',
      'network_count',
      'subscribers_count',
      'pushed_at',
      'temp_clone_token',
    ]) {
      expect(created.body).toHaveProperty(field);
    }

    const got = await gh('GET', `/repos/agency-clients/${name}`);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(created.body.id);
  });

  it('When the name is already taken (in any case), then it answers 422 validation-error', async () => {
    const name = await createRepo();
    const res = await gh('POST', '/orgs/agency-clients/repos', { body: { name: name.toUpperCase() } });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Repository creation failed.');
    expect(res.body.errors).toEqual([
      { resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' },
    ]);
  });

  it('When a repo is deleted, then it answers 204, and 404 Not Found afterwards', async () => {
    const name = await createRepo();
    expect((await gh('DELETE', `/repos/agency-clients/${name}`)).status).toBe(204);
    const again = await gh('DELETE', `/repos/agency-clients/${name}`);
    expect(again.status).toBe(404);
    expect(again.body.message).toBe('Not Found');
    expect((await gh('GET', `/repos/agency-clients/${name}`)).status).toBe(404);
  });

  it('When the token lacks delete_repo, then delete answers 403 and the repo stays', async () => {
    const name = await createRepo();
    const res = await gh('DELETE', `/repos/agency-clients/${name}`, {
      headers: { authorization: `Bearer ${GITHUB_TOKEN_NO_DELETE}` },
    });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Must have admin rights to Repository.');
    expect(res.headers.get('x-oauth-scopes')).toBe('repo');
    expect((await gh('GET', `/repos/agency-clients/${name}`)).status).toBe(200);
  });

  it('When a template is missing or not a template, then generate answers 404 or 422', async () => {
    expect(
      (
        await gh('POST', '/repos/agency-clients/nope/generate', {
          body: { owner: 'agency-clients', name: uniqueName() },
        })
      ).status,
    ).toBe(404);
    const plain = await createRepo();
    const res = await gh('POST', `/repos/agency-clients/${plain}/generate`, {
      body: { owner: 'agency-clients', name: uniqueName() },
    });
    expect(res.status).toBe(422);
  });

  it('When the org or the name is missing, then create-in-org answers 404 or 422', async () => {
    expect((await gh('POST', '/orgs/no-such-org/repos', { body: { name: uniqueName() } })).status).toBe(404);
    const res = await gh('POST', '/orgs/agency-clients/repos', { body: {} });
    expect(res.status).toBe(422);
  });

  it('The sandbox state lists client repos with their files, and the template apart', async () => {
    const name = await createRepo();
    const state = await sandboxState(sandbox);
    expect(state.github.repos).toEqual([
      expect.objectContaining({ name, full_name: `agency-clients/${name}`, private: true, files: ['README.md'] }),
    ]);
    expect(state.github.templates).toEqual([
      expect.objectContaining({ full_name: 'agency-clients/client-app-template', is_template: true }),
    ]);
  });
});

describe('GitHub emulator: a repository generated from the template', () => {
  let slow: RunningSandbox;
  let call: ReturnType<typeof caller>;
  beforeAll(async () => {
    // A larger time scale so that the 1.5 s generation window (scaled to 600 ms) is wide enough to observe.
    slow = await startEmulator(createGithubEmulator, { timeScale: 0.4 });
    call = caller(`${slow.url}/github`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` });
  });
  afterAll(async () => {
    await slow.close();
  });

  it('When it has just been generated, then get is 404 and contents 409 "Git Repository is empty." until it becomes usable with the template files', async () => {
    const name = uniqueName();
    const gen = await call('POST', `${TEMPLATE}/generate`, { body: { owner: 'agency-clients', name, private: true } });
    expect(gen.status).toBe(201);
    expect(gen.headers.get('location')).toBe(`${slow.url}/github/repos/agency-clients/${name}`);
    expect(gen.body).toMatchObject({
      name,
      private: true,
      is_template: false,
      template_repository: expect.objectContaining({ name: 'client-app-template' }),
    });

    // Probed together, well inside the window.
    const [get, empty, put, again] = await Promise.all([
      call('GET', `/repos/agency-clients/${name}`),
      call('GET', `/repos/agency-clients/${name}/contents/README.md`),
      call('PUT', `/repos/agency-clients/${name}/contents/client-config.json`, {
        body: { message: 'm', content: b64('{}') },
      }),
      call('POST', `${TEMPLATE}/generate`, { body: { owner: 'agency-clients', name } }),
    ]);
    expect(get.status).toBe(404);
    expect(empty.status).toBe(409);
    expect(empty.body.message).toBe('Git Repository is empty.');
    expect(put.status).toBe(409);
    expect(again.status).toBe(422);

    await pollUntil(
      () => call('GET', `/repos/agency-clients/${name}`),
      (r) => r.status === 200,
      5000,
      20,
    );
    const readme = await call('GET', `/repos/agency-clients/${name}/contents/README.md`);
    expect(readme.status).toBe(200);
    const pkg = await call('GET', `/repos/agency-clients/${name}/contents/package.json`);
    expect(JSON.parse(Buffer.from(pkg.body.content, 'base64').toString('utf8')).name).toBe('client-app-template');
  });
});

describe('GitHub emulator: contents', () => {
  it('When a file is created, then it answers 201, and GET returns its Base64 content and blob sha', async () => {
    const name = await createRepo();
    const path = `/repos/agency-clients/${name}/contents/config/client-config.json`;
    const put = await gh('PUT', path, { body: { message: 'Add config', content: b64('{"a":1}\n') } });
    expect(put.status).toBe(201);
    expect(put.body.content.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(put.body.commit.message).toBe('Add config');

    const got = await gh('GET', path);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      type: 'file',
      encoding: 'base64',
      path: 'config/client-config.json',
      name: 'client-config.json',
      sha: put.body.content.sha,
    });
    expect(Buffer.from(got.body.content, 'base64').toString('utf8')).toBe('{"a":1}\n');

    const dir = await gh('GET', `/repos/agency-clients/${name}/contents/config`);
    expect(dir.body).toEqual([expect.objectContaining({ type: 'file', path: 'config/client-config.json' })]);
  });

  it('When an existing file is written without sha, then 422; with a stale sha, 409; with the right sha, 200', async () => {
    const name = await createRepo();
    const path = `/repos/agency-clients/${name}/contents/client-config.json`;
    const first = await gh('PUT', path, { body: { message: 'one', content: b64('1') } });
    expect(first.status).toBe(201);

    const noSha = await gh('PUT', path, { body: { message: 'two', content: b64('2') } });
    expect(noSha.status).toBe(422);
    expect(noSha.body.message).toContain('"sha" wasn\'t supplied.');

    const stale = await gh('PUT', path, { body: { message: 'two', content: b64('2'), sha: 'f'.repeat(40) } });
    expect(stale.status).toBe(409);

    const update = await gh('PUT', path, { body: { message: 'two', content: b64('2'), sha: first.body.content.sha } });
    expect(update.status).toBe(200);
    expect(update.body.commit.parents[0].sha).toBe(first.body.commit.sha);
    const got = await gh('GET', path);
    expect(Buffer.from(got.body.content, 'base64').toString()).toBe('2');
  });

  it('The blob sha is git\'s: sha1("blob <size>\\0<bytes>")', async () => {
    const name = await createRepo();
    const put = await gh('PUT', `/repos/agency-clients/${name}/contents/hello.txt`, {
      body: { message: 'm', content: b64('hello\n') },
    });
    // `git hash-object` of "hello\n"
    expect(put.body.content.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('When the path or the repo is unknown, then 404; an org repo created empty says "This repository is empty."', async () => {
    const name = await createRepo();
    expect((await gh('GET', `/repos/agency-clients/${name}/contents/nope.txt`)).status).toBe(404);
    expect((await gh('GET', `/repos/agency-clients/nope/contents/a.txt`)).status).toBe(404);
    const bare = await createRepo(uniqueName(), false);
    const res = await gh('GET', `/repos/agency-clients/${bare}/contents/README.md`);
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('This repository is empty.');
  });

  it('When required fields or Base64 are wrong, then 422', async () => {
    const name = await createRepo();
    expect(
      (await gh('PUT', `/repos/agency-clients/${name}/contents/a.txt`, { body: { content: b64('x') } })).status,
    ).toBe(422);
    expect(
      (await gh('PUT', `/repos/agency-clients/${name}/contents/a.txt`, { body: { message: 'm', content: '***' } }))
        .status,
    ).toBe(422);
  });
});

describe('GitHub emulator: headers and faults', () => {
  it('Every answer carries x-ratelimit-* headers counting requests per token', async () => {
    const first = await gh('GET', TEMPLATE);
    const second = await gh('GET', '/repos/agency-clients/nope');
    for (const res of [first, second]) {
      expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(res.headers.get('x-ratelimit-resource')).toBe('core');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    }
    expect(Number(second.headers.get('x-ratelimit-used'))).toBe(Number(first.headers.get('x-ratelimit-used')) + 1);
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(
      Number(first.headers.get('x-ratelimit-remaining')) - 1,
    );
    const anonymous = await gh('GET', TEMPLATE, { headers: { authorization: 'Bearer wrong' } });
    expect(anonymous.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('When an http500 fault is set once, then the next call gets a 500 basic-error and the one after succeeds', async () => {
    await addFaults(sandbox, [{ provider: 'github', operationId: 'repos/get', fault: 'http500', times: 1 }]);
    const failed = await gh('GET', TEMPLATE);
    expect(failed.status).toBe(500);
    expect(failed.body.status).toBe('500');
    expect((await gh('GET', TEMPLATE)).status).toBe(200);
    const calls = await sandboxCalls(sandbox);
    expect(calls.filter((c) => c.operationId === 'repos/get').map((c) => [c.status, c.fault])).toEqual([
      [500, 'http500'],
      [200, undefined],
    ]);
  });

  it('When the answer to create-in-org is lost, then the repo exists anyway and is found again by name', async () => {
    await addFaults(sandbox, [
      { provider: 'github', operationId: 'repos/create-in-org', fault: 'lost-response', times: 1 },
    ]);
    const name = uniqueName();
    await expect(gh('POST', '/orgs/agency-clients/repos', { body: { name } })).rejects.toThrow();
    expect((await gh('GET', `/repos/agency-clients/${name}`)).status).toBe(200);
  });
});

describe('GitHub emulator: rate limits', () => {
  let limited: RunningSandbox;
  let call: ReturnType<typeof caller>;
  beforeAll(async () => {
    limited = await startEmulator(createGithubEmulator, { rateLimits: true, timeScale: 0.1 });
    call = caller(`${limited.url}/github`, { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` });
  });
  afterAll(async () => {
    await limited.close();
  });
  beforeEach(async () => {
    await resetSandbox(limited);
  });

  it('When a token creates content more than 80 times a minute, then 403 secondary rate limit with retry-after', async () => {
    const answers = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        call('POST', '/orgs/agency-clients/repos', { body: { name: `burst-${i}` } }),
      ),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const over = await call('PUT', '/repos/agency-clients/burst-0/contents/a.txt', {
      body: { message: 'm', content: b64('a') },
    });
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // reads are not content creation
    expect((await call('GET', '/repos/agency-clients/burst-0')).status).toBe(200);
  });

  it('When the primary limit (5000 an hour) is used up, then 403 with x-ratelimit-remaining 0', async () => {
    const token = { authorization: `Bearer ${GITHUB_TOKEN_NO_DELETE}` };
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 250 }, () => call('GET', TEMPLATE, { headers: token })));
    }
    const over = await call('GET', TEMPLATE, { headers: token });
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(/^API rate limit exceeded/);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    // another token has its own budget
    expect((await call('GET', TEMPLATE)).status).toBe(200);
  }, 60_000);
});
