import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';
import { consoleClient, csrfOf, failedRun, signedIn } from './console-client.js';

/** The run console over HTTP: sessions, CSRF, roles, what a page may load, live events. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ROLLBACK_ON_FAILURE: 'manual' });
});
afterEach(async () => {
  await h.clearFaults();
});
afterAll(async () => {
  await h?.close();
});

const FINAL = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];

describe('signing in', () => {
  it('When a page is asked for without a session, then the browser is sent to the sign-in form; fragments and events answer 401', async () => {
    const client = consoleClient(h.api);
    const page = await client.get('/console/runs?state=failed', { accept: 'text/html' });
    expect(page.status).toBe(303);
    expect(page.location).toBe(`/console/sign-in?next=${encodeURIComponent('/console/runs?state=failed')}`);
    expect((await client.get('/console/events', { accept: 'text/event-stream' })).status).toBe(401);
    expect((await client.post('/console/runs/00000000-0000-4000-8000-000000000000/rollback', {})).status).toBe(401);
  });

  it('When the sign-in form carries a wrong token or no CSRF value, then no session is made', async () => {
    const client = consoleClient(h.api);
    const form = await client.get('/console/sign-in');
    const wrong = await client.post('/console/sign-in', { _csrf: csrfOf(form.html), token: 'not-a-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('That token is not valid.');
    const forged = await consoleClient(h.api).post('/console/sign-in', { _csrf: 'x', token: h.tokens.admin });
    expect(forged.status).toBe(403);
    expect([...client.cookies.keys()]).not.toContain('cp_console');
  });

  it('When an admin signs in, then the session cookie is HttpOnly and SameSite=Strict, kept in Redis hashed, and it ends at sign-out', async () => {
    const client = consoleClient(h.api);
    const form = await client.get('/console/sign-in');
    const res = await fetch(`${h.api}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `cp_console_csrf=${client.cookies.get('cp_console_csrf')}`,
      },
      body: new URLSearchParams({ _csrf: csrfOf(form.html), token: h.tokens.admin, next: '/console/runs' }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/runs');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('cp_console='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    const id = /^cp_console=([^;]+)/.exec(cookie)![1]!;
    const keys = await h.redis.keys(`${h.prefix}:console-session:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join()).not.toContain(id);

    client.cookies.set('cp_console', id);
    const runs = await client.get('/console/runs');
    expect(runs.status).toBe(200);
    expect(runs.html).toContain('Signed in as <strong>admin</strong>');
    const out = await client.post('/console/sign-out', { _csrf: csrfOf(runs.html) });
    expect(out.status).toBe(303);
    client.cookies.set('cp_console', id); // a copy of the cookie kept elsewhere is no good either
    expect((await client.get('/console/runs')).status).toBe(303);
  });

  it('When a script sends a bearer token, then the console answers without a session', async () => {
    const page = await consoleClient(h.api).get('/console/runs', { authorization: `Bearer ${h.tokens.viewer}` });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Signed in as <strong>viewer</strong>');
  });
});

describe('acting on a run', () => {
  it("When a form is posted without the session's CSRF value or from another origin, then it is refused and the run stays failed", async () => {
    const run = await failedRun(h);
    const admin = await signedIn(h.api, h.tokens.admin);
    const path = `/console/runs/${run.runId}/rollback`;
    const csrf = csrfOf((await admin.get(`/console/runs/${run.runId}`)).html);

    expect((await admin.post(path, { confirm: 'rollback' })).status).toBe(403);
    expect((await admin.post(path, { confirm: 'rollback', _csrf: 'guess' })).status).toBe(403);
    const crossSite = await admin.post(path, { confirm: 'rollback', _csrf: csrf }, { origin: 'https://evil.test' });
    expect(crossSite.status).toBe(403);
    expect((await h.getRun(run.runId)).state).toBe('failed');
  });

  it('When an admin posts an action, then it needs its confirmation step first, and once confirmed the run command runs', async () => {
    const run = await failedRun(h);
    const admin = await signedIn(h.api, h.tokens.admin);
    const page = await admin.get(`/console/runs/${run.runId}`);
    expect(page.html).toContain(`href="/console/runs/${run.runId}/rollback"`);
    const csrf = csrfOf(page.html);

    const unconfirmed = await admin.post(`/console/runs/${run.runId}/rollback`, { _csrf: csrf });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.location).toBe(`/console/runs/${run.runId}/rollback`);
    expect((await h.getRun(run.runId)).state).toBe('failed');
    const confirm = await admin.get(unconfirmed.location!);
    expect(confirm.html).toContain('name="confirm" value="rollback"');

    const done = await admin.post(`/console/runs/${run.runId}/rollback`, { _csrf: csrf, confirm: 'rollback' });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/console/runs/${run.runId}?done=rollback`);
    expect((await h.waitForRun(run.runId, ['rolled_back', 'rollback_failed'])).state).toBe('rolled_back');
    const again = await admin.post(`/console/runs/${run.runId}/rollback`, { _csrf: csrf, confirm: 'rollback' });
    expect(again.status).toBe(409);
  });

  it('When a viewer opens a failed run, then no action is offered, and the server refuses one by session or by bearer token', async () => {
    const run = await failedRun(h);
    const viewer = await signedIn(h.api, h.tokens.viewer);
    const page = await viewer.get(`/console/runs/${run.runId}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(`/console/runs/${run.runId}/rollback`);
    expect(page.html).not.toContain(`/console/runs/${run.runId}/retry`);
    expect((await viewer.get(`/console/runs/${run.runId}/rollback`)).status).toBe(403);
    const csrf = csrfOf(page.html);
    expect(
      (await viewer.post(`/console/runs/${run.runId}/rollback`, { _csrf: csrf, confirm: 'rollback' })).status,
    ).toBe(403);
    const bearer = await consoleClient(h.api).post(
      `/console/runs/${run.runId}/retry`,
      { confirm: 'retry' },
      { authorization: `Bearer ${h.tokens.viewer}` },
    );
    expect(bearer.status).toBe(403);
    expect((await h.getRun(run.runId)).state).toBe('failed');
  });
});

describe('pages and live updates', () => {
  it('When a page is served, then it loads only same-origin files, has no inline script or style, and says so in a strict policy', async () => {
    const run = await failedRun(h);
    const admin = await signedIn(h.api, h.tokens.admin);
    for (const path of ['/console/sign-in', '/console/runs', `/console/runs/${run.runId}`]) {
      const page = path.endsWith('sign-in') ? await consoleClient(h.api).get(path) : await admin.get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
      expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page.html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      const loads = [...page.html.matchAll(/<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(loads.length).toBeGreaterThan(0);
      for (const url of loads) expect(url, path).toMatch(/^\/console\/assets\//);
      for (const url of loads) expect((await admin.get(url)).status, url).toBe(200);
    }
  });

  it("When a run's page is opened, then it tells its failure in words, with its code and that it will not be retried", async () => {
    const run = await failedRun(h);
    const page = await (await signedIn(h.api, h.tokens.viewer)).get(`/console/runs/${run.runId}`);
    expect(page.html).toContain('The provider rejected the request.');
    expect(page.html).toContain('<code>PROVIDER_REJECTED</code>');
    expect(page.html).toContain('Not retried: fix the cause first');
    expect(page.html).toMatch(/class="bar bar-failed gs-\d+ gw-\d+"/);
  });

  it('When a run is posted, then the event stream announces it and its changes of state as they happen', async () => {
    const res = await fetch(`${h.api}/console/events`, { headers: { authorization: `Bearer ${h.tokens.viewer}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    await reader.read(); // the stream is open once the server listens to Redis
    const posted = await h.request('POST', '/api/provisioning', { body: buildRequest() });
    const runId: string = posted.body.runId;
    while (!seen.includes(`"runId":"${runId}","state":"succeeded"`)) seen += (await reader.read()).value ?? '';
    await reader.cancel();
    const states = [...seen.matchAll(new RegExp(`"runId":"${runId}","state":"([a-z_]+)"`, 'g'))].map((m) => m[1]);
    expect(states).toEqual(['queued', 'running', 'succeeded']);
    expect(seen).toContain('event: run\n');
  });

  it('When runs are filtered by client and state, then only the matching runs are listed', async () => {
    const mine = buildRequest();
    const posted = await h.request('POST', '/api/provisioning', { body: mine });
    await h.waitForRun(posted.body.runId, FINAL);
    const other = await h.provision();
    await h.waitForRun(other.body.runId, FINAL);
    const viewer = await signedIn(h.api, h.tokens.viewer);

    const byClient = await viewer.get(`/console/runs?client=${mine.clientId.toUpperCase()}`);
    expect(byClient.html).toContain(`data-run-id="${posted.body.runId}"`);
    expect(byClient.html).not.toContain(`data-run-id="${other.body.runId}"`);
    const succeeded = await viewer.get(`/console/runs/rows?client=${mine.clientId}&state=succeeded`);
    expect(succeeded.html).toContain(`data-run-id="${posted.body.runId}"`);
    const failed = await viewer.get(`/console/runs/rows?client=${mine.clientId}&state=failed`);
    expect(failed.html).toContain('No run matches this filter.');
  });
});
