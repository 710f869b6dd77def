import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallback } from '../../src/shared/callback-signature.js';
import { startHarness, type Harness } from '../support/harness.js';

/** A receiver on loopback that records every delivery and answers 500 to the first `failures`. */
interface Receiver {
  url: string;
  deliveries: { headers: IncomingHttpHeaders; raw: string; body: any }[];
  close(): Promise<void>;
}
async function startReceiver(failures = 0): Promise<Receiver> {
  const deliveries: Receiver['deliveries'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(deliveries.length <= failures ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/provisioning`,
    deliveries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The receiver's side, as the README shows it: recompute the HMAC of "<t>.<raw body>". */
function signatureHolds(secret: string, header: string | string[] | undefined, raw: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

const SECRET = randomBytes(32).toString('hex');
let h: Harness;
let receiver: Receiver | undefined;
beforeAll(async () => {
  h = await startHarness({ CALLBACK_SECRET: SECRET, CALLBACK_BACKOFF_MS: '50', CALLBACK_ATTEMPTS: '5' });
});
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});
afterAll(async () => {
  await h?.close();
});

describe('completion callbacks', () => {
  it('When a run succeeds, then its callbackUrl receives one POST signed with CALLBACK_SECRET, and the run shows the delivery', async () => {
    receiver = await startReceiver();
    const posted = await h.provision({ callbackUrl: receiver.url });
    const run = await h.waitForRun(posted.body.runId, ['succeeded']);

    await expect.poll(async () => (await h.getRun(run.runId)).callbacks.length).toBe(1);
    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(signatureHolds(SECRET, delivery!.headers['x-provisioner-signature'], delivery!.raw)).toBe(true);
    expect(
      signatureHolds('another-secret-another-secret', delivery!.headers['x-provisioner-signature'], delivery!.raw),
    ).toBe(false);
    expect(verifyCallback(SECRET, String(delivery!.headers['x-provisioner-signature']), delivery!.raw)).toBe(true);
    expect(
      verifyCallback(
        SECRET,
        String(delivery!.headers['x-provisioner-signature']),
        delivery!.raw.replace('succeeded', 'rolled_back'),
      ),
    ).toBe(false);
    expect(delivery!.body).toEqual({
      runId: run.runId,
      clientId: run.clientId,
      state: 'succeeded',
      error: null,
      finishedAt: run.finishedAt,
    });
    const [attempt] = (await h.getRun(run.runId)).callbacks;
    expect(attempt).toEqual({ at: expect.any(String), state: 'succeeded', status: 204 });
  });

  it('When the receiver fails twice, then the callback is tried again with backoff and arrives, and the run lists all three attempts', async () => {
    receiver = await startReceiver(2);
    const posted = await h.provision({ callbackUrl: receiver.url });
    const run = await h.waitForRun(posted.body.runId, ['succeeded']);

    await expect.poll(async () => (await h.getRun(run.runId)).callbacks.length).toBe(3);
    const { callbacks } = await h.getRun(run.runId);
    expect(callbacks.map((c: any) => c.status)).toEqual([500, 500, 204]);
    expect(callbacks[0].error).toBe('the receiver answered 500');
    expect(receiver.deliveries).toHaveLength(3);
    for (const d of receiver.deliveries) {
      expect(signatureHolds(SECRET, d.headers['x-provisioner-signature'], d.raw)).toBe(true);
      expect(d.raw).toBe(receiver.deliveries[0]!.raw);
      expect(d.headers['x-provisioner-delivery']).toBe(receiver.deliveries[0]!.headers['x-provisioner-delivery']);
    }
  });

  it('When a run fails and rolls back, then one callback is sent, after the rollback, saying rolled_back (none for failed)', async () => {
    receiver = await startReceiver();
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
    try {
      const posted = await h.provision({ callbackUrl: receiver.url });
      const run = await h.waitForRun(posted.body.runId, ['rolled_back']);
      await expect.poll(async () => (await h.getRun(run.runId)).callbacks.length).toBe(1);
      expect(receiver.deliveries.map((d) => d.body.state)).toEqual(['rolled_back']);
      expect(receiver.deliveries[0]!.body.error).toMatchObject({ step: 'vercel', code: 'PROVIDER_REJECTED' });
      expect(Date.parse(receiver.deliveries[0]!.body.finishedAt)).toBe(Date.parse(run.finishedAt));
    } finally {
      await h.clearFaults();
    }
  });

  it('When nothing answers at the callbackUrl, then each attempt is recorded with why, and none is counted as delivered', async () => {
    receiver = await startReceiver();
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    const posted = await h.provision({ callbackUrl: url });
    const run = await h.waitForRun(posted.body.runId, ['succeeded']);
    await expect.poll(async () => (await h.getRun(run.runId)).callbacks.length).toBe(5);
    for (const attempt of (await h.getRun(run.runId)).callbacks) {
      expect(attempt).toMatchObject({ state: 'succeeded', status: 0 });
      expect(attempt.error).toMatch(/could not be reached/);
      expect(attempt.error).not.toContain(url);
    }
  });
});

describe('without CALLBACK_SECRET', () => {
  it('When a run with a callbackUrl ends, then nothing is sent unsigned and the run says why', async () => {
    const bare = await startHarness();
    receiver = await startReceiver();
    try {
      const posted = await bare.provision({ callbackUrl: receiver.url });
      const run = await bare.waitForRun(posted.body.runId, ['succeeded']);
      await expect
        .poll(async () => (await bare.getRun(run.runId)).callbacks)
        .toEqual([
          { at: expect.any(String), state: 'succeeded', status: 0, error: expect.stringContaining('CALLBACK_SECRET') },
        ]);
      expect(receiver.deliveries).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
