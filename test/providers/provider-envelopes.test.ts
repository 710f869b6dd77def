import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GithubClient } from '../../src/providers/github.client.js';
import { N8nClient } from '../../src/providers/n8n.client.js';
import { VercelClient } from '../../src/providers/vercel.client.js';
import { failure } from '../support/expect-helpers.js';

/**
 * Provider-specific answers the sandbox's generic faults do not play (GitHub's rate-limit
 * headers on a 403, Vercel's envelope), served by a tiny loopback server.
 */
type Reply = { status: number; headers?: Record<string, string>; body?: unknown; raw?: string };
/** The next answer, or a function of the request's URL. */
let next: Reply | ((url: string) => Reply);
let seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const r = typeof next === 'function' ? next(req.url ?? '') : next;
      res.writeHead(r.status, { 'content-type': r.raw ? 'text/html' : 'application/json', ...r.headers });
      res.end(r.raw ?? (r.body === undefined ? '' : JSON.stringify(r.body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));
// A reset header is a point in time: the clock is fixed where a test reads one, so the wait is exact.
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
afterEach(() => {
  vi.useRealTimers();
});
beforeEach(() => {
  seen = [];
});

const github = () =>
  new GithubClient(
    { mode: 'live', baseUrl: base, token: 'ghp_secret_token_value', org: 'o', templateOwner: 'o', templateRepo: 't' },
    2000,
  );
const vercel = (teamId?: string) =>
  new VercelClient({ mode: 'live', baseUrl: base, token: 'vercel_secret_token', ...(teamId ? { teamId } : {}) }, 2000);
const n8n = () => new N8nClient({ mode: 'live', baseUrl: base, apiKey: 'n8n_secret_key' }, 2000);

describe('GitHub answers', () => {
  it('When GitHub answers 403 with x-ratelimit-remaining 0, then it is a retryable rate limit waiting until the reset', async () => {
    vi.setSystemTime(NOW);
    const reset = NOW / 1000 + 30;
    next = {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded' },
    };
    const e = await failure(github().getRepo('o', 'r'));
    expect(e).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryable: true });
    expect(e.retryAfterMs).toBe(30_000);
  });

  it('When GitHub answers 403 with retry-after (secondary limit), then it is a retryable rate limit', async () => {
    next = {
      status: 403,
      headers: { 'retry-after': '60' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    };
    const e = await failure(
      github().createFromTemplate({ templateOwner: 'o', templateRepo: 't', owner: 'o', name: 'n', private: true }),
    );
    expect(e).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 60_000 });
  });

  it('When deleting a repo is forbidden, then the error is final and names the delete_repo scope', async () => {
    next = { status: 403, body: { message: 'Must have admin rights to Repository.' } };
    const e = await failure(github().deleteRepo('o', 'r'));
    expect(e).toMatchObject({ code: 'PROVIDER_FORBIDDEN', retryable: false });
    expect(e.message).toContain('delete_repo');
  });

  it('When GitHub refuses the token, then the error is final, names GITHUB_TOKEN and hides the token', async () => {
    next = { status: 401, body: { message: 'Bad credentials' } };
    const e = await failure(github().getRepo('o', 'r'));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('GitHub refused GITHUB_TOKEN (401)');
    expect(e.message).not.toContain('ghp_secret_token_value');
  });

  it('When GitHub answers 422 or 500, then the first is final and the second retryable', async () => {
    next = {
      status: 422,
      body: { message: 'Repository creation failed.', errors: [{ message: 'name already exists' }] },
    };
    expect(
      await failure(
        github().createFromTemplate({ templateOwner: 'o', templateRepo: 't', owner: 'o', name: 'n', private: true }),
      ),
    ).toMatchObject({
      code: 'PROVIDER_REJECTED',
      retryable: false,
    });
    next = { status: 500, body: { message: 'boom' } };
    expect(await failure(github().getRepo('o', 'r'))).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  });

  it('When GitHub has no such repo or file, then get answers null', async () => {
    next = { status: 404, body: { message: 'Not Found' } };
    expect(await github().getRepo('o', 'r')).toBeNull();
    expect(await github().getFile('o', 'r', 'a/b.json')).toBeNull();
    expect(decodeURIComponent(seen.at(-1)?.url ?? '')).toBe('/repos/o/r/contents/a/b.json');
  });
});

describe('Vercel answers', () => {
  it('When Vercel answers 429 rate_limited, then retryAfterMs comes from error.limit.reset', async () => {
    vi.setSystemTime(NOW);
    const reset = NOW / 1000 + 20;
    next = {
      status: 429,
      body: {
        error: {
          code: 'rate_limited',
          message: 'Rate limit exceeded',
          limit: { remaining: 0, reset, resetMs: reset * 1000, total: 100 },
        },
      },
    };
    const e = await failure(vercel().getProject('p'));
    expect(e).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryable: true });
    expect(e.retryAfterMs).toBe(20_000);
  });

  it('When Vercel answers 403 with invalidToken, then the error is PROVIDER_AUTH_FAILED naming VERCEL_TOKEN', async () => {
    next = { status: 403, body: { error: { code: 'forbidden', message: 'Not authorized', invalidToken: true } } };
    const e = await failure(vercel().getProject('p'));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', retryable: false });
    expect(e.message).toContain('Vercel refused VERCEL_TOKEN (403)');
  });

  it('When Vercel answers a plain 403 forbidden, then the error is PROVIDER_FORBIDDEN and final', async () => {
    next = { status: 403, body: { error: { code: 'forbidden', message: 'You do not have access to this team' } } };
    expect(await failure(vercel().getProject('p'))).toMatchObject({ code: 'PROVIDER_FORBIDDEN', retryable: false });
  });

  it('When a team is configured, then every call carries teamId', async () => {
    next = { status: 404, body: { error: { code: 'not_found', message: 'Project not found' } } };
    expect(await vercel('team_123').getProject('my-app')).toBeNull();
    expect(seen.at(-1)?.url).toBe('/v9/projects/my-app?teamId=team_123');
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer vercel_secret_token');
  });

  it('When Vercel reports a failed env var, then upsertEnv fails naming its key but not its value', async () => {
    next = {
      status: 201,
      body: { created: [], failed: [{ error: { code: 'ENV_CONFLICT', message: 'x', key: 'SECRET_KEY' } }] },
    };
    const e = await failure(
      vercel().upsertEnv('prj_1', [{ key: 'SECRET_KEY', value: 'hunter2', type: 'sensitive', target: ['production'] }]),
    );
    expect(e.code).toBe('PROVIDER_REJECTED');
    expect(e.message).toContain('SECRET_KEY');
    expect(e.message).not.toContain('hunter2');
    expect(seen.at(-1)?.url).toBe('/v10/projects/prj_1/env?upsert=true');
  });
});

describe('n8n answers', () => {
  it('When n8n answers an HTML 500 page, then the error is retryable and carries no HTML', async () => {
    next = { status: 500, raw: '<html><body>Internal error</body></html>' };
    const e = await failure(n8n().getWorkflow('w1'));
    expect(e).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(e.message).not.toContain('<html>');
  });

  it('When /activate is not there (405), then activate falls back to /publish', async () => {
    next = (url) =>
      url.endsWith('/activate')
        ? { status: 405, body: { message: 'Method Not Allowed' } }
        : { status: 200, body: { id: 'w1', active: true } };
    await n8n().activate('w1');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/v1/workflows/w1/activate',
      'POST /api/v1/workflows/w1/publish',
    ]);
    expect(seen[0]?.headers['x-n8n-api-key']).toBe('n8n_secret_key');
  });

  it('When the workflow is unknown, then activate fails PROVIDER_NOT_FOUND after trying both routes', async () => {
    next = { status: 404, body: { message: 'Not Found' } };
    expect(await failure(n8n().activate('nope'))).toMatchObject({ code: 'PROVIDER_NOT_FOUND' });
  });

  it('When a webhook is called, then it goes to /webhook/<path> without the API key and any status is an answer', async () => {
    next = { status: 404, body: { message: 'The requested webhook "POST client-x/content" is not registered.' } };
    expect(await n8n().callWebhook('client-x/content', { ping: true })).toEqual({ status: 404 });
    expect(seen.at(-1)?.url).toBe('/webhook/client-x/content');
    expect(seen.at(-1)?.headers['x-n8n-api-key']).toBeUndefined();
  });

  it('When workflows span pages, then findByExactName follows nextCursor and keeps exact names, oldest first', async () => {
    const page = (data: object[], nextCursor: string | null) => ({ status: 200, body: { data, nextCursor } });
    const wf = (id: string, name: string, createdAt: string) => ({
      id,
      name,
      active: false,
      createdAt,
      nodes: [],
      connections: {},
    });
    next = (url) =>
      url.includes('cursor=c2')
        ? page([wf('3', 'Client a - X', '2026-01-01T00:00:00Z'), wf('4', 'client a - x', '2026-01-01T00:00:00Z')], null)
        : page(
            [wf('1', 'Client a - X', '2026-02-01T00:00:00Z'), wf('2', 'Client a - X (copy)', '2026-01-01T00:00:00Z')],
            'c2',
          );
    const found = await n8n().findByExactName('Client a - X');
    expect(found.map((w) => w.id)).toEqual(['3', '1']);
    expect(seen).toHaveLength(2);
    expect(new URL(seen[0]!.url, base).searchParams.get('name')).toBe('Client a - X');
  });
});
