/**
 * The outbound policy (src/shared/outbound.ts) on its own: which addresses are internal, which
 * callback URLs are refused without a lookup, which after one, and that `send` refuses before
 * any connection is attempted, checks the address again at connect time and follows no redirect.
 * Host names are resolved by a resolver given to the policy: no DNS query leaves the machine.
 */
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKind } from '../../src/shared/ip-ranges.js';
import { createOutboundPolicy, type OutboundSettings, type Resolver } from '../../src/shared/outbound.js';
import { recordConnectAttempts, startTarget, type Target } from './loopback-target.js';

const LIVE: OutboundSettings = { allowLoopback: false, allowedHosts: [], allowedNetworks: [] };
const SANDBOX: OutboundSettings = { ...LIVE, allowLoopback: true };

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
/** A resolver from a fixed table; a name not in it does not exist. */
function resolverOf(table: Record<string, string[] | (() => string[])>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const entry = table[host];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return (typeof entry === 'function' ? entry() : entry).map(v4);
  };
  return Object.assign(resolve, { asked });
}

const targets: Target[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});
async function target(answer?: Parameters<typeof startTarget>[0]) {
  const t = await startTarget(answer);
  targets.push(t);
  return t;
}

describe('which addresses are internal', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.31.255.1', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'reserved'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.10.1', 'link-local'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
    ['2002:a00:1::1', 'private'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['93.184.215.14', 'public'],
    ['2606:4700:4700::1111', 'public'],
  ])('When the address is %s, then it is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });
});

describe('callback URLs refused without resolving anything', () => {
  it.each([
    ['https://10.0.0.1/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data/', 'cloud-metadata'],
    ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['https://0x7f000001/hook', 'loopback'],
    ['https://2130706433/hook', 'loopback'],
    ['https://0177.0.0.1/hook', 'loopback'],
    ['https://127.1/hook', 'loopback'],
    ['https://0x0a.0.0.1/hook', 'private'],
    ['https://[::1]:8443/hook', 'loopback'],
    ['https://[fd00:ec2::254]/', 'cloud-metadata'],
    ['https://localhost/hook', 'loopback'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'metadata'],
    ['http://hooks.example.com/hook', 'https'],
    ['https://user:pw@hooks.example.com/hook', 'credentials'],
    ['ftp://hooks.example.com/hook', 'https'],
    ['not a url', 'not a URL'],
  ])('When live and the callback is %s, then it is refused (%s)', (url, why) => {
    const problem = createOutboundPolicy(LIVE).checkStatic(url);
    expect(problem).toContain(why);
  });

  it('When in sandbox mode, then http on loopback is allowed, and internal networks still are not', () => {
    const policy = createOutboundPolicy(SANDBOX);
    expect(policy.checkStatic('http://127.0.0.1:9/hook')).toBeUndefined();
    expect(policy.checkStatic('http://localhost:9/hook')).toBeUndefined();
    expect(policy.checkStatic('https://10.0.0.1/hook')).toContain('private');
    expect(policy.checkStatic('http://hooks.example.com/hook')).toContain('https');
  });
});

describe('callback URLs checked by what their name resolves to', () => {
  const resolver = resolverOf({
    'intranet.example.test': ['10.1.2.3'],
    'split.example.test': ['93.184.215.14', '192.168.0.7'],
    'hooks.example.test': ['93.184.215.14'],
    'office.example.test': ['10.20.0.5'],
    'meta.example.test': ['169.254.169.254'],
  });

  it('When a name resolves to a private address, or to one among public ones, then it is refused', async () => {
    const policy = createOutboundPolicy(LIVE, resolver);
    expect(await policy.check('https://intranet.example.test/hook')).toContain('10.1.2.3 is a private address');
    expect(await policy.check('https://split.example.test/hook')).toContain('192.168.0.7');
    expect(await policy.check('https://nowhere.example.test/hook')).toContain('does not resolve');
    expect(await policy.check('https://hooks.example.test/hook')).toBeUndefined();
  });

  it('When the resolver never answers, then the name is refused rather than the request held', async () => {
    const silent: Resolver = () => new Promise(() => undefined);
    expect(await createOutboundPolicy(LIVE, silent).check('https://slow.example.test/hook')).toContain(
      'does not resolve',
    );
  });

  it('When allow-lists are set, then only the listed hosts pass, and listed networks are reachable but metadata never', async () => {
    const policy = createOutboundPolicy(
      {
        ...LIVE,
        allowedHosts: ['hooks.example.test', '*.example.test'],
        allowedNetworks: ['10.20.0.0/16', '169.254.0.0/16'],
      },
      resolver,
    );
    expect(await policy.check('https://office.example.test/hook')).toBeUndefined();
    expect(await policy.check('https://intranet.example.test/hook')).toContain('private');
    expect(await policy.check('https://meta.example.test/hook')).toContain('cloud-metadata');
    expect(await policy.check('https://hooks.example.org/hook')).toContain('CALLBACK_ALLOWED_HOSTS');
  });
});

describe('sending: refused before any connection, checked again at connect time, no redirects', () => {
  it('When live and the callback is 10.0.0.1, 169.254.169.254, [::ffff:127.0.0.1], 0x7f000001 or a name resolving to a private address, then send refuses and no connection is even attempted', async () => {
    const listener = await target();
    const resolver = resolverOf({ 'intranet.example.test': ['10.1.2.3'] });
    const policy = createOutboundPolicy(LIVE, resolver);
    const attempts = recordConnectAttempts();
    try {
      for (const url of [
        'https://10.0.0.1/hook',
        'https://169.254.169.254/latest/meta-data/',
        `https://[::ffff:127.0.0.1]:${listener.port}/hook`,
        `https://0x7f000001:${listener.port}/hook`,
        'https://intranet.example.test/hook',
      ]) {
        await expect(policy.send(url, { method: 'POST', body: '{}', timeoutMs: 2000 }), url).rejects.toMatchObject({
          code: 'OUTBOUND_REFUSED',
        });
      }
    } finally {
      attempts.stop();
    }
    expect(attempts.hosts).toEqual([]);
    expect(listener.connections).toBe(0);
    expect(resolver.asked).toEqual(['intranet.example.test']);
  });

  it('When a name resolved to a public address at check time resolves to loopback at connect time (DNS rebinding), then nothing is sent', async () => {
    const listener = await target();
    let answers = 0;
    const resolver = resolverOf({ 'rebind.example.test': () => (answers++ === 0 ? ['93.184.215.14'] : ['127.0.0.1']) });
    const policy = createOutboundPolicy(LIVE, resolver);
    const url = `https://rebind.example.test:${listener.port}/hook`;
    expect(await policy.check(url)).toBeUndefined();

    await expect(policy.send(url, { method: 'POST', body: '{}', timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'OUTBOUND_REFUSED',
      message: expect.stringContaining('127.0.0.1 is a loopback address'),
    });
    expect(resolver.asked).toEqual(['rebind.example.test', 'rebind.example.test']);
    expect(listener.connections).toBe(0);
  });

  it('When the callback answers with a redirect, then it is not followed', async () => {
    const elsewhere = await target();
    const redirecting = await target(() => ({
      status: 302,
      headers: { location: `http://127.0.0.1:${elsewhere.port}/internal` },
    }));
    const policy = createOutboundPolicy(SANDBOX);
    const res = await policy.send(`http://127.0.0.1:${redirecting.port}/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"state":"succeeded"}',
      timeoutMs: 2000,
    });
    expect(res.status).toBe(302);
    expect(redirecting.requests).toEqual([{ method: 'POST', url: '/hook', body: '{"state":"succeeded"}' }]);
    expect(elsewhere.connections).toBe(0);
  });

  it('When in sandbox mode, then a callback to localhost is delivered through the guarded lookup', async () => {
    const listener = await target();
    const policy = createOutboundPolicy(SANDBOX, resolverOf({ localhost: ['127.0.0.1'] }));
    const res = await policy.send(`http://localhost:${listener.port}/hook`, {
      method: 'POST',
      body: 'x',
      timeoutMs: 2000,
    });
    expect(res.status).toBe(204);
    expect(listener.requests.map((r) => r.body)).toEqual(['x']);
  });
});
