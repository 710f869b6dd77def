/**
 * Vitest setup file (runs in every test worker before its test file): no test may open a
 * connection off this machine (SPEC §8: "any other outbound connection fails the test").
 *
 * Every TCP/TLS connection made in this process goes through net.Socket.prototype.connect
 * (net.connect, http, https, undici's fetch, tls, ioredis, pg). A connection to anything but
 * loopback, a Unix socket, or the hosts of REDIS_URL / DATABASE_URL (the test services chosen by
 * the global setup) is refused at once with ERR_TEST_OUTBOUND_CONNECTION, as a refused connection
 * would be, and the test that made it fails in afterEach even if the code under test swallowed
 * the error (a retrying client, say). Host names other than "localhost" are refused before any
 * DNS lookup. Extra hosts may be allowed with TEST_ALLOWED_HOSTS=host1,host2 (e.g. test hosts in a
 * network namespace made by the test run itself).
 *
 * Not covered: child processes a test spawns (they do not run this file).
 */
import net from 'node:net';
import { afterAll, afterEach } from 'vitest';

const allowedHosts = new Set<string>(
  [
    hostOf(process.env.REDIS_URL),
    hostOf(process.env.DATABASE_URL),
    ...(process.env.TEST_ALLOWED_HOSTS ?? '').split(','),
  ]
    .map((h) => h?.trim().toLowerCase())
    .filter((h): h is string => Boolean(h)),
);

const blocked: string[] = [];

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const originalConnect = net.Socket.prototype.connect as Connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const target = describeTarget(args);
  if (target.path !== undefined || isLocal(target.host)) {
    return originalConnect.apply(this, args);
  }
  const where = `${target.host}:${String(target.port)}`;
  blocked.push(where);
  const err = Object.assign(
    new Error(
      `outbound connection to ${where} blocked in tests: only loopback is allowed (test/support/no-network.ts)`,
    ),
    { code: 'ERR_TEST_OUTBOUND_CONNECTION' },
  );
  process.nextTick(() => this.destroy(err));
  return this;
};

function failIfBlocked(): void {
  if (!blocked.length) return;
  const list = blocked.splice(0).join(', ');
  throw new Error(`this test tried to connect outside loopback: ${list}`);
}

afterEach(failIfBlocked);
afterAll(failIfBlocked);

/** The host/port or Unix path of socket.connect()'s many call shapes. */
function describeTarget(args: unknown[]): { host?: string; port?: unknown; path?: string } {
  // net.connect() and tls.connect() call socket.connect() with their normalized [options, callback].
  const first: unknown = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { path: o.path };
    return { host: typeof o.host === 'string' ? o.host : undefined, port: o.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}

function isLocal(host: string | undefined): boolean {
  if (host === undefined || host === '') return true; // node defaults to localhost
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (allowedHosts.has(h)) return true;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  // "this host" addresses: a connection to them stays on the machine.
  if (h === '0.0.0.0' || h === '::' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}
