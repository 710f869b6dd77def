/**
 * Issue 10, "must show" 3: each token may write so fast and no faster, counted in Redis so that
 * every API process shares the budget; past it, 429 with Retry-After. Reads are not counted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiApp, type ApiApp } from './api-app.js';

const LIMIT = { API_WRITE_LIMIT: '3', API_WRITE_WINDOW_S: '60' };
const tokens = { admin: randomBytes(18).toString('base64url'), viewer: randomBytes(18).toString('base64url') };
let a: ApiApp;
let b: ApiApp;
beforeAll(async () => {
  // Two API processes of one deployment: same Redis, same prefix, same tokens.
  a = await startApiApp(LIMIT, { tokens });
  b = await startApiApp(LIMIT, { tokens, prefix: a.prefix });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** A write that is refused for its body: it counts, and creates nothing. */
const write = (app: ApiApp, token: string) =>
  app.request('POST', '/api/provisioning', { token, body: { clientId: 'x' } });

describe('write limits per token', () => {
  it('When a token writes more than its limit across two API processes, then it gets 429 with Retry-After, while its reads and other tokens go on', async () => {
    expect((await write(a, tokens.admin)).status).toBe(400);
    expect((await write(b, tokens.admin)).status).toBe(400);
    expect((await write(a, tokens.admin)).status).toBe(400);

    const limited = await write(b, tokens.admin);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await a.request('PUT', '/admin/queues/api/queues/provision/pause')).status).toBe(429);

    expect((await a.request('GET', '/api/provisioning', { token: tokens.admin })).status).toBe(200);
    expect((await write(a, tokens.viewer)).status).toBe(403);
    expect(await a.enqueued()).toEqual({ jobs: 0, runs: 0 });
    expect(b.logs.filter((l) => l.status === 429).map((l) => [l.msg, l.actor])).toEqual([['api action', 'ops']]);
  });
});
