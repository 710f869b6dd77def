import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  // No worker: these tests are about what the API accepts and refuses, and what it enqueues.
  h = await startHarness({}, { worker: false });
});
afterAll(async () => {
  await h?.close();
});

/**
 * Every key under the harness's queue prefix (jobs, runs, client claims), but each queue's `meta`,
 * which BullMQ writes on its own once the API's queues connect, and the token's write counter,
 * which counts every write a token makes, refused or not (that is its job).
 */
async function storedKeys(): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}:*`))
    .filter((k) => !k.endsWith(':meta') && !k.includes(':write-limit:'))
    .sort();
}

/** Runs `act` (which must be refused) and checks that it left nothing in Redis: no job, no run, no claim. */
async function expectNothingStored<T>(act: () => Promise<T>): Promise<T> {
  const before = await storedKeys();
  const result = await act();
  expect(await storedKeys()).toEqual(before);
  return result;
}

/** The jobs of one run's flow: one per step, and the finalize job. */
async function jobsOf(runId: string): Promise<string[]> {
  const keys = await h.redis.keys(`${h.prefix}:provision:${runId}-g*`);
  return keys.filter((k) => /-g\d+-\w+$/.test(k)).sort();
}

describe('POST /api/provisioning refuses what it must, and then stores and enqueues nothing', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a clientId too short', { clientId: 'ab' }, 'clientId'],
    ['a clientId ending with -', { clientId: 'acme-' }, 'clientId'],
    ['a clientId with _', { clientId: 'ac_me' }, 'clientId'],
    ['an empty clientName', { clientName: '' }, 'clientName'],
    ['a clientName with a control character', { clientName: 'Acme\u0007' }, 'clientName'],
    ['a clientName of 101 characters', { clientName: 'x'.repeat(101) }, 'clientName'],
    ['a bad email', { orgEmail: 'not-an-email' }, 'orgEmail'],
    ['an unknown tier', { tier: 'gold' }, 'tier'],
    ['an http callback off loopback', { callbackUrl: 'http://example.com/hook' }, 'callbackUrl'],
    ['an unknown key', { admin: true }, 'admin'],
  ];
  it.each(cases)('When the body has %s, then the answer is 400 naming the field', async (_what, patch, field) => {
    const res = await expectNothingStored(() =>
      h.request('POST', '/api/provisioning', { body: { ...buildRequest(), ...patch } }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toContain(field);
    expect(JSON.stringify(res.body.error.details)).toContain(field);
  });

  it('When a required field is missing, then the 400 names every missing field', async () => {
    const res = await expectNothingStored(() => h.request('POST', '/api/provisioning', { body: {} }));
    expect(res.status).toBe(400);
    for (const f of ['clientId', 'clientName', 'orgEmail', 'tier']) expect(res.body.error.message).toContain(f);
  });

  it('When the body is not JSON, then 400; when it is over 16 KiB, then 413', async () => {
    const notJson = await expectNothingStored(() =>
      h.request('POST', '/api/provisioning', {
        body: '{"clientId":',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(notJson.status).toBe(400);
    const big = await expectNothingStored(() =>
      h.request('POST', '/api/provisioning', { body: buildRequest({ clientName: 'x'.repeat(17_000) }) }),
    );
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('When there is no token or a wrong one, then 401; when a viewer posts, then 403', async () => {
    const body = buildRequest();
    const none = await expectNothingStored(() => h.request('POST', '/api/provisioning', { body, token: null }));
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const wrong = await expectNothingStored(() =>
      h.request('POST', '/api/provisioning', { body, token: 'wrong-token-wrong-token' }),
    );
    expect(wrong.status).toBe(401);
    const viewer = await expectNothingStored(() =>
      h.request('POST', '/api/provisioning', { body, token: h.tokens.viewer }),
    );
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.code).toBe('FORBIDDEN');
    expect((await h.request('GET', '/api/provisioning', { token: null })).status).toBe(401);
    const runs = await h.request('GET', `/api/provisioning?clientId=${body.clientId}`);
    expect(runs.body.runs).toEqual([]);
  });

  it('When an admin posts a valid client, then 202 with a run id, the run reads queued with every step pending, and a viewer may read it', async () => {
    const req = buildRequest({ callbackUrl: 'http://127.0.0.1:9/hook' });
    const res = await h.request('POST', '/api/provisioning', { body: req });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(res.body.statusUrl);
    const run = (await h.request('GET', res.body.statusUrl, { token: h.tokens.viewer })).body;
    expect(run).toMatchObject({ runId: res.body.runId, clientId: req.clientId, state: 'queued', resources: {} });
    expect(run.steps.map((s: any) => s.state)).toEqual(Array(6).fill('pending'));
    expect(new Date(run.createdAt).toISOString()).toBe(run.createdAt);
    expect((await jobsOf(res.body.runId)).map((k) => k.replace(/^.*-g\d+-/, ''))).toEqual([
      'backup',
      'database',
      'finalize',
      'github',
      'n8n',
      'supabase',
      'vercel',
    ]);

    const list = await h.request('GET', `/api/provisioning?clientId=${req.clientId.toUpperCase()}`, {
      token: h.tokens.viewer,
    });
    expect(list.status).toBe(200);
    expect(list.body.runs.map((r: any) => r.runId)).toEqual([res.body.runId]);
  });

  it('When a run id is unknown or malformed, then 404; retry or rollback of a queued run is 409', async () => {
    expect((await h.request('GET', '/api/provisioning/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.request('GET', '/api/provisioning/not-a-uuid')).status).toBe(404);
    const posted = await h.provision();
    const retry = await h.request('POST', `/api/provisioning/${posted.body.runId}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('INVALID_STATE');
    expect((await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`)).status).toBe(409);
    expect(
      (await h.request('POST', `/api/provisioning/${posted.body.runId}/rollback`, { token: h.tokens.viewer })).status,
    ).toBe(403);
  });

  it('When /healthz and /readyz are asked without a token, then it is live, and ready because Redis answers', async () => {
    expect((await h.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await h.request('GET', '/readyz', { token: null })).body).toEqual({ status: 'ready' });
  });
});

describe('the dashboard', () => {
  it('When opened without credentials, then 401 asking the browser for them, whatever the case of the path', async () => {
    for (const path of [
      '/admin/queues',
      '/admin/queues/api/queues',
      '/ADMIN/QUEUES/api/queues',
      '/Admin/Queues/api/queues?activeQueue=provision&status=completed',
    ]) {
      const res = await h.request('GET', path, { token: null });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
  });

  it('When a viewer opens it with Basic auth, then it shows the queues but refuses every action (405)', async () => {
    const basic = { authorization: `Basic ${Buffer.from(`viewer:${h.tokens.viewer}`).toString('base64')}` };
    const page = await h.request('GET', '/admin/queues', { token: null, headers: basic });
    expect(page.status).toBe(200);
    const queues = await h.request('GET', '/admin/queues/api/queues', { token: null, headers: basic });
    expect(queues.status).toBe(200);
    expect(JSON.stringify(queues.body)).toContain('provision');
    const add = await h.request('POST', '/admin/queues/api/queues/provision/add', {
      token: null,
      headers: basic,
      body: { name: 'x', data: {} },
    });
    expect(add.status).toBe(405);
  });
});
