import { describe, expect, inject, it } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';

describe('infra probe', () => {
  it('sees the urls', async () => {
    expect(process.env.REDIS_URL).toBe(inject('redisUrl'));
    expect(process.env.DATABASE_URL).toBe(inject('databaseUrl'));
    console.log('env', process.env.REDIS_URL, process.env.DATABASE_URL, process.env.CONTRACTS_DIR);
    const r = new Redis(process.env.REDIS_URL!);
    expect(await r.ping()).toBe('PONG');
    r.disconnect();
    const c = new pg.Client(process.env.DATABASE_URL);
    await c.connect(); await c.end();
  });
  it('loopback http works', async () => {
    const s = http.createServer((_q, r) => r.end('ok'));
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
    const { port } = s.address() as net.AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    expect(await (await fetch(`http://localhost:${port}/`)).text()).toBe('ok');
    s.close();
  });
  it('SHOULD FAIL: fetch outbound swallowed', async () => {
    const e = await fetch('https://api.github.com/').catch((err: unknown) => err);
    console.log('fetch error', (e as Error).message, ((e as Error).cause as Error)?.message);
  });
  it('SHOULD FAIL: raw ip', async () => {
    const s = net.connect(80, '10.1.2.3');
    await new Promise((res) => s.on('error', res));
  });
});
