import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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
import { afterTheWindow, headersOf, inSequence, limitedSandbox, secondsIn } from './rate-limit.helper.js';

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
  it('Every answer carries x-ratelimit-* headers counting the requests of the user, even with limits off', async () => {
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

const AUTH = { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` };
const createIn = (call: ReturnType<typeof caller>) => (i: number) =>
  call('POST', '/orgs/agency-clients/repos', { body: { name: `burst-${i}` } });
const SECONDARY = /^You have exceeded a secondary rate limit/;

describe('GitHub emulator: secondary limit on content creation a minute', () => {
  // The "minute" is shortened to 20 s, which is 2 s at this scale: wide enough for a loaded machine.
  const gh = limitedSandbox(createGithubEmulator, {
    prefix: '/github',
    credential: AUTH,
    limits: { github: { contentPerMinute: { limit: 3, windowMs: 20_000 } } },
    timeScale: 0.1,
  });

  it('When a user creates content past the per-minute limit, then 403 secondary rate limit with retry-after; reads pass, and creation passes again after the wait', async () => {
    const within = await inSequence(3, createIn(gh.call));
    const over = await gh.call('PUT', '/repos/agency-clients/burst-0/contents/a.txt', {
      body: { message: 'm', content: b64('a') },
    });
    const read = await gh.call('GET', '/repos/agency-clients/burst-0');
    const later = await afterTheWindow(() => createIn(gh.call)(3), 403);

    expect(within.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ message: expect.stringMatching(SECONDARY), status: '403' });
    expect(over.body.documentation_url).toMatch(/#about-secondary-rate-limits$/);
    expect(secondsIn(over, 'retry-after')).toBeLessThanOrEqual(2);
    // not the primary limit: requests remain
    expect(Number(over.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(read.status).toBe(200);
    expect(later.status).toBe(201);
  });
});

describe('GitHub emulator: secondary limit on content creation an hour', () => {
  // An hour is 36 s at this scale.
  const gh = limitedSandbox(createGithubEmulator, {
    prefix: '/github',
    credential: AUTH,
    limits: { github: { contentPerHour: { limit: 2 } } },
  });

  it('When the hourly content limit is reached, then 403 secondary with retry-after counting to the end of the hour window', async () => {
    const within = await inSequence(2, createIn(gh.call));

    const over = await createIn(gh.call)(2);

    expect(within.map((a) => a.status)).toEqual([201, 201]);
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(SECONDARY);
    expect(secondsIn(over, 'retry-after')).toBeGreaterThan(20);
    expect(secondsIn(over, 'retry-after')).toBeLessThanOrEqual(36);
  });
});

describe('GitHub emulator: secondary limits on points and on requests in flight', () => {
  const gh = limitedSandbox(createGithubEmulator, {
    prefix: '/github',
    credential: AUTH,
    limits: { github: { points: { limit: 12 }, concurrent: 2 } },
    // A minute is 6 s at this scale: all the points of a test are spent inside one.
    timeScale: 0.1,
  });

  it('When a user spends its points for the minute (a write 5, a read 1), then 403 secondary with retry-after', async () => {
    const writes = await inSequence(2, createIn(gh.call));
    const reads = await inSequence(2, () => gh.call('GET', TEMPLATE));
    const over = await gh.call('GET', TEMPLATE);

    expect([...writes, ...reads].map((a) => a.status)).toEqual([201, 201, 200, 200]);
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(SECONDARY);
    expect(secondsIn(over, 'retry-after')).toBeGreaterThanOrEqual(1);
  });

  it('When a user has as many requests in flight as allowed, then one more is refused with retry-after, and passes once they end', async () => {
    await addFaults(gh.sandbox, [{ provider: 'github', operationId: 'repos/get', fault: 'timeout', times: 2 }]);
    const abort = new AbortController();
    const held = [1, 2].map(() =>
      fetch(`${gh.sandbox.url}/github${TEMPLATE}`, { headers: AUTH, signal: abort.signal }).catch(() => undefined),
    );
    await vi.waitFor(async () => expect((await sandboxCalls(gh.sandbox)).length).toBe(2));

    const over = await gh.call('GET', TEMPLATE);
    abort.abort();
    await Promise.all(held);
    const after = await afterTheWindow(() => gh.call('GET', TEMPLATE), 403);

    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(SECONDARY);
    expect(secondsIn(over, 'retry-after')).toBeGreaterThanOrEqual(1);
    expect(after.status).toBe(200);
  });
});

describe('GitHub emulator: primary limit', () => {
  const gh = limitedSandbox(createGithubEmulator, {
    prefix: '/github',
    credential: AUTH,
    limits: { github: { primary: { limit: 3 }, anonymous: { limit: 2 } } },
  });

  it('When a user has used up its requests, then 403 "API rate limit exceeded" with x-ratelimit-remaining 0, for all its tokens; without a token the IP has its own budget', async () => {
    const within = await inSequence(3, () => gh.call('GET', TEMPLATE));
    const over = await gh.call('GET', TEMPLATE);
    const otherToken = await gh.call('GET', TEMPLATE, {
      headers: { authorization: `Bearer ${GITHUB_TOKEN_NO_DELETE}` },
    });
    const anonymous = await gh.anonymous('GET', TEMPLATE);

    expect(within.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(over.status).toBe(403);
    expect(over.body.message).toMatch(/^API rate limit exceeded for user ID \d+\./);
    expect(over.body.documentation_url).toMatch(/#about-primary-rate-limits$/);
    expect(headersOf(over, 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-used', 'retry-after')).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '3',
      'retry-after': null,
    });
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(otherToken.status).toBe(403);
    expect(anonymous.status).toBe(401);
    expect(headersOf(anonymous, 'x-ratelimit-limit', 'x-ratelimit-remaining')).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
    });
  });
});

describe('GitHub emulator: limits answered with 429', () => {
  const gh = limitedSandbox(createGithubEmulator, {
    prefix: '/github',
    credential: AUTH,
    limits: { github: { contentPerMinute: { limit: 1 }, status: 429 } },
    timeScale: 0.1,
  });

  it('When the sandbox is set to answer 429, then a secondary limit is a 429 basic-error with retry-after', async () => {
    await createIn(gh.call)(0);

    const over = await createIn(gh.call)(1);

    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ message: expect.stringMatching(SECONDARY), status: '429' });
    expect(secondsIn(over, 'retry-after')).toBeGreaterThanOrEqual(1);
  });
});
