/**
 * Issue 10, "must show" 2: a token given to the service only as its SHA-256 authenticates, and
 * its name is what the run's history and the log record for what it did; the worker's own
 * changes read `worker`. Today's `role:token` entries keep working, named `<role>-<n>`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, parseApiTokens } from '../../src/api/api-tokens.js';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startApiApp, type ApiApp } from './api-app.js';

const alice = randomBytes(24).toString('base64url');
const board = randomBytes(24).toString('base64url');

let h: Harness;
let api: ApiApp;
beforeAll(async () => {
  // The harness runs the sandbox and the worker; a second API, configured with hashed tokens only,
  // shares its Redis prefix (as API processes of one deployment do).
  h = await startHarness();
  api = await startApiApp(
    { API_TOKENS: `admin:ops-alice:sha256:${hashToken(alice)},viewer:board:sha256:${hashToken(board)}` },
    { prefix: h.prefix, tokens: { admin: alice, viewer: board } },
  );
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

async function waitForState(runId: string, state: string) {
  let run: any;
  await expect
    .poll(async () => (run = (await api.request('GET', `/api/provisioning/${runId}`, { token: board })).body).state, {
      timeout: 30_000,
      interval: 50,
    })
    .toBe(state);
  return run;
}

describe('API_TOKENS', () => {
  it('When entries are role:name:token, role:name:sha256:<hex> and role:token, then each gets its name and only hashes are kept for comparison', () => {
    const parsed = parseApiTokens(
      `admin:ci-bot:${'a'.repeat(20)},viewer:grafana:sha256:${'AB'.repeat(32)},admin:${'b'.repeat(20)},viewer:${'c'.repeat(20)}`,
    );
    expect(parsed).toEqual([
      { role: 'admin', name: 'ci-bot', sha256: hashToken('a'.repeat(20)), token: 'a'.repeat(20) },
      { role: 'viewer', name: 'grafana', sha256: 'ab'.repeat(32) },
      { role: 'admin', name: 'admin-1', sha256: hashToken('b'.repeat(20)), token: 'b'.repeat(20) },
      { role: 'viewer', name: 'viewer-1', sha256: hashToken('c'.repeat(20)), token: 'c'.repeat(20) },
    ]);
  });

  it.each([
    ['a short token', 'admin:ops:short', 'at least 16'],
    ['a bad hash', 'admin:ops:sha256:abc', '64 hex'],
    ['a name used twice', `admin:ops:${'a'.repeat(16)},viewer:ops:${'b'.repeat(16)}`, 'used twice'],
    ['one token under two names', `admin:ops:${'a'.repeat(16)},viewer:dash:${'a'.repeat(16)}`, 'same token'],
    ['an unknown role', `root:ops:${'a'.repeat(16)}`, 'not a role'],
    ['a bad name', `admin:o p:${'a'.repeat(16)}`, 'not a name'],
  ])('When API_TOKENS has %s, then it is refused', (_what, value, message) => {
    expect(parseApiTokens(value)).toContain(message);
  });
});

describe('a hashed token, and who did what', () => {
  it("When a token configured only by its hash provisions and then tears down a client, then it authenticates and the run's history names it for its actions and the worker for the rest", async () => {
    const posted = await api.request('POST', '/api/provisioning', { token: alice, body: buildRequest() });
    expect(posted.status).toBe(202);
    const runId = posted.body.runId as string;
    await waitForState(runId, 'succeeded');
    const teardown = await api.request('POST', `/api/provisioning/${runId}/rollback`, { token: alice });
    expect(teardown.status).toBe(202);
    const run = await waitForState(runId, 'rolled_back');

    expect(run.history.map((e: any) => [e.from, e.to, e.by])).toEqual([
      [null, 'queued', 'ops-alice'],
      ['queued', 'running', 'worker'],
      ['running', 'succeeded', 'worker'],
      ['succeeded', 'rolling_back', 'ops-alice'],
      ['rolling_back', 'rolled_back', 'worker'],
    ]);
    for (const e of run.history) expect(new Date(e.at).toISOString()).toBe(e.at);
    expect(api.logs.filter((l) => l.msg === 'api action').map((l) => [l.actor, l.method, l.path, l.status])).toEqual([
      ['ops-alice', 'POST', '/api/provisioning', 202],
      ['ops-alice', 'POST', `/api/provisioning/${runId}/rollback`, 202],
    ]);
  });

  it('When the hash itself, or nothing, is presented as the token, then 401', async () => {
    for (const token of [hashToken(alice), null, `${alice}x`]) {
      expect((await api.request('GET', '/api/provisioning', { token })).status).toBe(401);
    }
  });

  it('When a role:token entry of before acts, then the history names it <role>-1', async () => {
    const posted = await h.provision(buildRequest());
    expect(posted.status).toBe(202);
    const run = (await api.request('GET', `/api/provisioning/${posted.body.runId}`, { token: board })).body;
    expect(run.history[0]).toMatchObject({ from: null, to: 'queued', by: 'admin-1' });
  });
});
