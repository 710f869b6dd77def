/**
 * Issue 10, "must show" 1: in live mode the API refuses callback URLs that point inside
 * (400 naming callbackUrl), enqueues nothing, and nothing is sent there, neither by the API
 * nor later by the worker's callback sender, which checks again when it sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundPolicy } from '../../src/shared/outbound.js';
import { deliverCallback } from '../../src/worker/callback-delivery.js';
import { buildRequest } from '../support/factories.js';
import { startApiApp, type ApiApp } from './api-app.js';
import { recordConnectAttempts, startTarget, type Target } from './loopback-target.js';

/** Names the tests resolve, without DNS: one inside, one outside. */
const asked: string[] = [];
const resolver = async (host: string) => {
  asked.push(host);
  if (host === 'intranet.agency.test') return [{ address: '10.40.0.12', family: 4 }];
  if (host === 'hooks.client.test') return [{ address: '93.184.215.14', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

let live: ApiApp;
let listener: Target;
beforeAll(async () => {
  live = await startApiApp({ PROVIDERS: 'live' }, { resolver });
  listener = await startTarget();
});
afterAll(async () => {
  await live?.close();
  await listener?.close();
});

describe('callbackUrl in live mode (PROVIDERS=live)', () => {
  it('When the callbackUrl is 10.0.0.1, 169.254.169.254, [::ffff:127.0.0.1], 0x7f000001 or a name resolving to a private address, then 400 naming callbackUrl, nothing is enqueued and nothing is contacted', async () => {
    const urls = [
      'https://10.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
      `https://[::ffff:127.0.0.1]:${listener.port}/hook`,
      `https://0x7f000001:${listener.port}/hook`,
      'https://intranet.agency.test/hook',
    ];
    asked.length = 0;
    const attempts = recordConnectAttempts();
    const answers = [];
    try {
      for (const callbackUrl of urls)
        answers.push(await live.request('POST', '/api/provisioning', { body: buildRequest({ callbackUrl }) }));
    } finally {
      attempts.stop();
    }
    for (const [i, res] of answers.entries()) {
      expect(res.status, urls[i]).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.fields).toEqual([
        { field: 'callbackUrl', message: expect.stringMatching(/^refused: /) },
      ]);
    }
    expect(answers[4]!.body.error.message).toContain('10.40.0.12 is a private address');
    // Only the name was looked up; the API opened no connection but the test's own, to itself.
    expect(asked).toEqual(['intranet.agency.test']);
    expect(attempts.hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
    expect(listener.connections).toBe(0);
    expect(await live.enqueued()).toEqual({ jobs: 0, runs: 0 });
  });

  it('When the callbackUrl is https on a name resolving to a public address, then the run is accepted', async () => {
    const res = await live.request('POST', '/api/provisioning', {
      body: buildRequest({ callbackUrl: 'https://hooks.client.test/provisioned' }),
    });
    expect(res.status).toBe(202);
  });
});

describe('callbackUrl in sandbox mode', () => {
  it('When sandbox mode, then http://127.0.0.1 is accepted for trying it out, and a private address is still refused', async () => {
    const sandbox = await startApiApp({ PROVIDERS: 'sandbox' }, { resolver });
    try {
      const ok = await sandbox.request('POST', '/api/provisioning', {
        body: buildRequest({ callbackUrl: `http://127.0.0.1:${listener.port}/hook` }),
      });
      expect(ok.status).toBe(202);
      const refused = await sandbox.request('POST', '/api/provisioning', {
        body: buildRequest({ callbackUrl: 'https://10.0.0.1/hook' }),
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('callbackUrl');
    } finally {
      await sandbox.close();
    }
  });
});

describe('the callback sender checks again when it sends', () => {
  it('When a stored run points its callback at loopback and the worker is live, then the callback is refused and nothing reaches it', async () => {
    // Accepted earlier (sandbox mode), sent now by a live worker: the send is where it is stopped.
    const url = `http://127.0.0.1:${listener.port}/hook`;
    const body = JSON.stringify({ runId: 'r1', clientId: 'acme', state: 'succeeded' });
    const live = createOutboundPolicy({ allowLoopback: false, allowedHosts: [], allowedNetworks: [] }, resolver);

    const refused = await deliverCallback(live, url, body, {}, 2000);

    expect(refused).toMatchObject({ status: 0, refused: true });
    expect(listener.connections).toBe(0);

    const sandbox = createOutboundPolicy({ allowLoopback: true, allowedHosts: [], allowedNetworks: [] }, resolver);
    expect(await deliverCallback(sandbox, url, body, {}, 2000)).toMatchObject({ status: 204 });
    expect(listener.requests.map((r) => JSON.parse(r.body))).toEqual([
      { runId: 'r1', clientId: 'acme', state: 'succeeded' },
    ]);
  });
});
