/**
 * Issue 10, "must show" 5 (second half): every route of the API, of Bull Board and of the run
 * console, writes included, under no token, a wrong token, a viewer's and an admin's. Bull Board's
 * routes are read from Bull Board itself, so a route added by an upgrade is not missed.
 */
import { randomBytes } from 'node:crypto';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startApiApp, type ApiApp } from './api-app.js';

type Who = 'none' | 'bad' | 'viewer' | 'admin';
const WHO: Who[] = ['none', 'bad', 'viewer', 'admin'];

let app: ApiApp;
let runId: string;
let jobId: string;
beforeAll(async () => {
  // No worker: the run stays queued, so its routes answer the same way throughout.
  app = await startApiApp();
  const posted = await app.request('POST', '/api/provisioning', { body: buildRequest() });
  runId = posted.body.runId;
  jobId = `${runId}-g1-supabase`;
});
afterAll(async () => {
  await app?.close();
});

const tokenOf = (who: Who) =>
  ({ none: null, bad: randomBytes(18).toString('base64url'), viewer: app.tokens.viewer, admin: app.tokens.admin })[who];

async function call(who: Who, method: string, path: string, body?: unknown) {
  const res = await app.request(method, path, { token: tokenOf(who), ...(body !== undefined ? { body } : {}) });
  return res.status;
}

describe('the API, route by role', () => {
  const routes: [string, string, () => unknown, Record<Who, number>][] = [
    ['GET', '/healthz', () => undefined, { none: 200, bad: 200, viewer: 200, admin: 200 }],
    ['GET', '/readyz', () => undefined, { none: 200, bad: 200, viewer: 200, admin: 200 }],
    ['GET', '/api/provisioning', () => undefined, { none: 401, bad: 401, viewer: 200, admin: 200 }],
    ['GET', '/api/provisioning/:runId', () => undefined, { none: 401, bad: 401, viewer: 200, admin: 200 }],
    ['POST', '/api/provisioning', () => buildRequest(), { none: 401, bad: 401, viewer: 403, admin: 202 }],
    // A queued run can be neither retried nor rolled back: an admin gets as far as the state check.
    ['POST', '/api/provisioning/:runId/retry', () => ({}), { none: 401, bad: 401, viewer: 403, admin: 409 }],
    ['POST', '/api/provisioning/:runId/rollback', () => ({}), { none: 401, bad: 401, viewer: 403, admin: 409 }],
  ];
  it.each(routes)('%s %s', async (method, route, body, expected) => {
    const path = route.replace(':runId', runId);
    const got: Record<string, number> = {};
    for (const who of WHO) got[who] = await call(who, method, path, body());
    expect(got).toEqual(expected);
  });
});

describe('Bull Board, route by role', () => {
  const params = (route: string) =>
    `/admin/queues${route}`
      .replace(':queueName', 'provision')
      .replace(':jobId', jobId)
      .replace(':queueStatus', 'failed')
      .replace(':schedulerId', 'no-such-scheduler');
  const pages = (appRoutes.entryPoint.route as string[]).map((r) => ['GET', r] as const);
  const api = appRoutes.api.map((r) => [String(r.method).toUpperCase(), r.route as string] as const);
  // Destructive ones last, so that the others meet the queue as it was.
  const order = (route: string) => (/obliterate|empty|clean/.test(route) ? 1 : 0);
  const routes = [...pages, ...api].sort((a, b) => order(a[1]) - order(b[1]));

  it('covers every route Bull Board has', () => {
    expect(routes.length).toBe(pages.length + api.length);
    expect(routes.length).toBeGreaterThan(30);
  });

  it.each(routes)('%s %s', async (method, route) => {
    const path = params(route);
    const read = method === 'GET';
    const got: Record<Who, number> = { none: 0, bad: 0, viewer: 0, admin: 0 };
    for (const who of WHO) got[who] = await call(who, method, path, read ? undefined : {});
    expect(got.none).toBe(401);
    expect(got.bad).toBe(401);
    // A viewer reads; every write is refused. An admin may do both: the answer is then Bull Board's
    // own (which can be 500, e.g. promoting a job that is not delayed).
    if (read) expect([200, 400, 404]).toContain(got.viewer);
    else expect(got.viewer).toBe(405);
    expect([401, 403, 405]).not.toContain(got.admin);
  });
});

describe('the run console, route by role (with a bearer token, as a script would)', () => {
  // GET /console/events is a server-sent event stream (it never ends): test/console covers who may open it.
  const routes: [string, string, 'read' | 'write' | 'public'][] = [
    ['GET', '/console/sign-in', 'public'],
    ['GET', '/console/runs', 'read'],
    ['GET', '/console/runs/rows', 'read'],
    ['GET', '/console/runs/:runId', 'read'],
    ['GET', '/console/runs/:runId/live', 'read'],
    ['GET', '/console/runs/:runId/rollback', 'write'],
    ['POST', '/console/runs/:runId/retry', 'write'],
    ['POST', '/console/runs/:runId/rollback', 'write'],
    ['POST', '/console/runs/:runId/teardown', 'write'],
  ];
  it.each(routes)('%s %s', async (method, route, kind) => {
    const path = route.replace(':runId', runId);
    const got: Record<Who, number> = { none: 0, bad: 0, viewer: 0, admin: 0 };
    for (const who of WHO) got[who] = await call(who, method, path, method === 'POST' ? {} : undefined);
    if (kind === 'public') {
      expect(got).toEqual({ none: 200, bad: 200, viewer: 200, admin: 200 });
      return;
    }
    // Without a valid token: refused, or sent to the sign-in form.
    expect([401, 303]).toContain(got.none);
    expect([401, 303]).toContain(got.bad);
    if (kind === 'read') expect(got.viewer).toBe(200);
    else expect(got.viewer).toBe(403);
    expect([401, 403]).not.toContain(got.admin);
  });
});
