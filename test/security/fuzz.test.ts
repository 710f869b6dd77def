/**
 * Issue 10, "must show" 5: thousands of generated malformed requests to every route (bodies,
 * types, sizes, unicode, path tricks, header tricks, methods): each gets a 4xx, the process
 * stays up and logs no failure, and nothing is enqueued or recorded.
 *
 * Callback host names resolve to nothing here (a resolver that never asks DNS), so a body whose
 * only fault is a callback name is refused too, and the test never leaves the machine.
 */
import { parse as parseQuery } from 'node:querystring';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listQuery } from '../../src/api/provisioning.schema.js';
import { createOutboundPolicy } from '../../src/shared/outbound.js';
import { provisionRequestSchema } from '../../src/shared/provision-request.js';
import { buildRequest } from '../support/factories.js';
import { startApiApp, type ApiApp, type RequestOptions } from './api-app.js';

const noNames = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
/** What the API itself accepts (live mode, the same resolver): a generated body must fail it. */
const accepted = provisionRequestSchema({
  allowLoopbackHttp: false,
  callbacks: createOutboundPolicy({ allowLoopback: false, allowedHosts: [], allowedNetworks: [] }, noNames),
});

let app: ApiApp;
const crashes: unknown[] = [];
const onCrash = (e: unknown) => void crashes.push(e);
beforeAll(async () => {
  app = await startApiApp({ PROVIDERS: 'live', API_WRITE_LIMIT: '100000' }, { resolver: noNames });
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
});
afterAll(async () => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  await app?.close();
});

// ---- building blocks ----------------------------------------------------------------------

/** Strings that go wrong in interesting ways: unicode, controls, bidi, sizes, injection-shaped. */
const junk = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202eevil',
    '\ud800',
    '💥'.repeat(60),
    'a'.repeat(5000),
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
  ),
);
const anyJson = fc.jsonValue({ maxDepth: 4 });
const callbackUrls = fc.oneof(
  junk,
  fc.constantFrom(
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:127.0.0.1]/',
    'https://0x7f000001/',
    'https://2130706433/',
    'https://017700000001/',
    'http://127.0.0.1/hook',
    'https://localhost/',
    'https://user:pw@example.test/',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'https://hooks.example.test/x',
  ),
  fc.webUrl().map((u) => u.replace(/^http:/, 'https:')),
);

/** A valid request with one thing (or more) broken: a field's type or value, a missing or extra key. */
const brokenBody = fc
  .tuple(
    fc.constantFrom('clientId', 'clientName', 'orgEmail', 'tier', 'callbackUrl'),
    fc.oneof(junk, anyJson, fc.anything({ maxDepth: 2 }), callbackUrls),
    fc.constantFrom('set', 'delete', 'extra', 'whole'),
    anyJson,
  )
  .map(([field, value, how, whole]) => {
    const body: Record<string, unknown> = { ...buildRequest() };
    if (how === 'set') body[field] = value;
    if (how === 'delete') delete body[field === 'callbackUrl' ? 'tier' : field];
    if (how === 'extra') body[typeof value === 'string' && value ? value : '__proto__'] = value;
    return how === 'whole' ? whole : body;
  });

/** A body as bytes, with a content type that may not say what it is. */
const rawBody = fc.oneof(
  brokenBody.map((b) => ({ text: safeStringify(b), type: 'application/json' })),
  fc.record({
    text: fc.oneof(junk, fc.constantFrom('{', '{"clientId":', 'null', '[]', '"x"', '1e309', '{"a":'.repeat(500))),
    type: fc.constantFrom(
      'application/json',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ),
  }),
  fc.record({
    text: fc.constant(JSON.stringify({ ...buildRequest(), clientName: 'x'.repeat(17_000) })),
    type: fc.constant('application/json'),
  }),
  fc.record({
    text: fc.constant(JSON.stringify(buildRequest({ clientName: 'ok' })).replace('"ok"', '"o\\ud800k"')),
    type: fc.constantFrom('application/json; charset=latin1', 'application/json; charset=utf-7'),
  }),
);

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return String(v);
  }
}

/** Every byte of the UTF-8 (lone surrogates included) but unreserved characters as %XX. */
const percentEncoded = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

/** Percent-encoded, or raw latin-1 (what an HTTP client lets through), path segments. */
const segment = fc.oneof(
  junk.map(percentEncoded),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '..%2f..%2f',
    '%2F',
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '.',
    '',
    '\u00ff\u00fe',
    ';x=1',
    '00000000-0000-4000-8000-000000000000',
    'x'.repeat(9000),
  ),
);

const token = fc.constantFrom<'admin' | 'viewer' | 'none' | 'bad'>('admin', 'admin', 'admin', 'viewer', 'none', 'bad');
const tokenFor = (who: 'admin' | 'viewer' | 'none' | 'bad') =>
  ({ admin: app.tokens.admin, viewer: app.tokens.viewer, none: null, bad: 'not-a-token-at-all-000' })[who];

/** Header values an HTTP client can send: tab, printable ASCII and latin-1. */
const headerValue = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constant('\t'),
  ),
  maxLength: 200,
});
const weirdAuth = fc.oneof(
  headerValue,
  headerValue.map((v) => `Bearer ${v}`),
  headerValue.map((v) => `Basic ${Buffer.from(v, 'latin1').toString('base64')}`),
  fc.constantFrom('Bearer', 'Bearer ', 'Basic', 'Basic !!!', 'Basic Og==', 'bearer  x y', `Bearer ${'a'.repeat(8000)}`),
);
const trickHeaders = fc.dictionary(
  fc.constantFrom(
    'content-type',
    'content-encoding',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-http-method-override',
    'accept',
    'accept-encoding',
    'cookie',
    'origin',
    'range',
    'if-none-match',
  ),
  headerValue,
  { maxKeys: 4 },
);

// ---- the property -------------------------------------------------------------------------

async function expect4xx(method: string, path: string, options: RequestOptions) {
  const res = await app.request(method, path, options);
  if (res.status < 400 || res.status > 499)
    throw new Error(`${method} ${path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`);
  // A path trick must never serve a file from outside the dashboard's assets.
  if (/"name":\s*"(client-provisioner|@bull-board)/.test(res.text)) throw new Error(`${path} served a package.json`);
}

const RUN_ROUTES = ['', '/retry', '/rollback'];
const API_METHODS = ['PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'FOO'];

describe('fuzz: malformed requests get a 4xx, and change nothing', () => {
  it('When thousands of malformed requests hit every route, then each is answered 4xx, the process stays up and nothing is enqueued', async () => {
    const runs = { numRuns: 0 };
    // The generated values are plain data, so that a counterexample reads as the request it was.
    const check = <T>(arb: fc.Arbitrary<T>, send: (value: T) => Promise<void>, numRuns: number) => {
      runs.numRuns += numRuns;
      const seed = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};
      return fc.assert(fc.asyncProperty(arb, send), { numRuns, ...seed });
    };

    // Bodies: types, sizes, unicode, missing and extra keys, internal callback URLs, wrong encodings.
    await check(
      fc.tuple(rawBody, token),
      async ([body, who]) => {
        if (body.type.startsWith('application/json') && !body.type.includes('charset')) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body.text);
          } catch {
            parsed = undefined;
          }
          fc.pre(parsed === undefined || !(await accepted.safeParseAsync(parsed)).success);
        }
        await expect4xx('POST', '/api/provisioning', {
          token: tokenFor(who),
          body: body.text,
          headers: { 'content-type': body.type },
        });
      },
      900,
    );

    // Run routes with ids that are no run: junk, traversal, encodings, sizes; with every role.
    await check(
      fc.tuple(
        segment.filter((id) => id !== ''),
        fc.constantFrom(...RUN_ROUTES),
        token,
      ),
      async ([id, tail, who]) => {
        await expect4xx(tail ? 'POST' : 'GET', `/api/provisioning/${id}${tail}`, { token: tokenFor(who) });
      },
      400,
    );

    // The list with a query it does not take.
    await check(
      fc
        .dictionary(fc.constantFrom('clientId', 'limit', 'state', 'clientId[]', '__proto__', 'x'), junk, {
          minKeys: 1,
          maxKeys: 3,
        })
        .map((q) => new URLSearchParams(q).toString())
        .filter((qs) => !listQuery.safeParse(parseQuery(qs)).success),
      async (qs) => await expect4xx('GET', `/api/provisioning?${qs}`, {}),
      300,
    );

    // Methods a route does not have, on every route.
    await check(
      fc.tuple(
        fc.constantFrom(...API_METHODS),
        fc.constantFrom(
          '/healthz',
          '/readyz',
          '/api/provisioning',
          '/api/provisioning/00000000-0000-4000-8000-000000000000',
          '/api/provisioning/00000000-0000-4000-8000-000000000000/retry',
        ),
        token,
      ),
      async ([method, path, who]) => await expect4xx(method, path, { token: tokenFor(who), body: '{}' }),
      200,
    );

    // Header tricks on the authenticated routes: mangled credentials, overrides, encodings.
    await check(
      fc.tuple(
        weirdAuth,
        trickHeaders,
        fc.constantFrom(
          ['GET', '/api/provisioning'],
          ['POST', '/api/provisioning'],
          ['GET', '/admin/queues'],
          ['GET', '/admin/queues/api/queues'],
          ['PUT', '/admin/queues/api/queues/pause'],
        ),
      ),
      async ([authorization, headers, [method, path]]) => {
        await expect4xx(method, path, { token: null, headers: { ...headers, authorization }, body: '{}' });
      },
      300,
    );

    // Path tricks: traversal into the dashboard's assets, mangled prefixes, sizes.
    await check(
      fc
        .tuple(
          fc.constantFrom('/admin/queues/static/', '/admin/queues/api/queues/', '/api/provisioning/', '/api/', '/'),
          fc.array(segment, { minLength: 1, maxLength: 4 }),
          token,
        )
        .filter(([, segs]) => segs.join('') !== ''),
      async ([prefix, segs, who]) => {
        await expect4xx('GET', `${prefix}${segs.join('/')}`, { token: tokenFor(who) });
      },
      400,
    );

    // Bull Board's API: actions on queues and jobs that do not exist, as any role, any method.
    await check(
      fc.tuple(
        fc.constantFrom('GET', 'PUT', 'PATCH', 'POST', 'DELETE'),
        segment.filter((s) => s !== '' && s !== 'provision' && s !== 'rollback' && !s.startsWith('.')),
        fc.constantFrom(
          '',
          '/retry/failed',
          '/clean/completed',
          '/pause',
          '/add',
          '/x/retry',
          '/x/update-data',
          '/x/logs',
        ),
        token,
        anyJson,
      ),
      async ([method, queue, tail, who, body]) => {
        await expect4xx(method, `/admin/queues/api/queues/${queue}${tail}`, {
          token: tokenFor(who),
          ...(method === 'GET' ? {} : { body: safeStringify(body), headers: { 'content-type': 'application/json' } }),
        });
      },
      300,
    );

    expect(runs.numRuns).toBeGreaterThan(2000);
    expect((await app.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect(crashes).toEqual([]);
    expect(app.logs.filter((l) => l.level >= 50)).toEqual([]);
    expect(await app.enqueued()).toEqual({ jobs: 0, runs: 0 });
    const counts = await app.queues.provision.getJobCounts();
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  }, 120_000);
});
