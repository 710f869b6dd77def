/**
 * Vitest global setup: runs once, in the main vitest process, before any test file.
 *
 * Makes sure a real Redis and a real Postgres answer (SPEC §8: never mocked):
 *  1. REDIS_URL / DATABASE_URL when set, else the local defaults (127.0.0.1:6379, :5432).
 *  2. When a service does not answer, its variable is NOT set, and a Docker engine is reachable,
 *     testcontainers starts redis:7 / postgres:16 (imported dynamically: machines without Docker
 *     never load it), and they are stopped at teardown.
 *  3. Otherwise the run stops with one line naming the URL tried and how to start the service.
 *
 * How tests get the URLs: the resolved URLs are written to process.env.REDIS_URL and
 * process.env.DATABASE_URL here; vitest builds its workers' environment from process.env after
 * global setup, so `loadConfig()` in a test sees them with no extra wiring. They are also
 * provided as `inject('redisUrl')` / `inject('databaseUrl')` for tests that prefer that.
 *
 * Also: CONTRACTS_DIR defaults to ../shared/contracts when that folder exists (as .ci/run does).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PROBE_TIMEOUT_MS = 3000;
const CONTAINER_STARTUP_MS = 120_000;

interface Service {
  name: 'Redis' | 'Postgres';
  envVar: 'REDIS_URL' | 'DATABASE_URL';
  url: string;
  probe: (url: string) => Promise<void>;
  howToStart: string;
  startContainer: () => Promise<{ url: string; stop: () => Promise<unknown> }>;
}

const stops: (() => Promise<unknown>)[] = [];

export async function setup(project: TestProject): Promise<void> {
  defaultContractsDir();

  const services: Service[] = [
    {
      name: 'Redis',
      envVar: 'REDIS_URL',
      url: process.env.REDIS_URL || DEFAULT_REDIS_URL,
      probe: probeRedis,
      howToStart:
        'start one (redis-server --daemonize yes --port 6379, or docker compose up -d redis) or set REDIS_URL',
      startContainer: startRedisContainer,
    },
    {
      name: 'Postgres',
      envVar: 'DATABASE_URL',
      url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
      probe: probePostgres,
      howToStart:
        'start one (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or docker compose up -d postgres) or set DATABASE_URL',
      startContainer: startPostgresContainer,
    },
  ];

  const problems: string[] = [];
  for (const service of services) {
    const failure = await attempt(() => service.probe(service.url));
    if (failure === undefined) continue;

    const explicit = Boolean(process.env[service.envVar]);
    if (explicit || !dockerLooksAvailable()) {
      problems.push(`${service.name} did not answer at ${redact(service.url)} (${failure}): ${service.howToStart}`);
      continue;
    }
    try {
      const started = await service.startContainer();
      stops.push(started.stop);
      service.url = started.url;
    } catch (err) {
      problems.push(
        `${service.name} did not answer at ${redact(service.url)} (${failure}) and testcontainers could not start one (${oneLine(err)}): ${service.howToStart}`,
      );
    }
  }

  if (problems.length) {
    await teardown();
    // One line, then stop: a thrown error would make vitest also print "No test files found".
    process.stderr.write(`test services unavailable: ${problems.join(' | ')}\n`);
    process.exit(1);
  }

  const [redis, postgres] = services as [Service, Service];
  process.env.REDIS_URL = redis.url;
  process.env.DATABASE_URL = postgres.url;
  project.provide('redisUrl', redis.url);
  project.provide('databaseUrl', postgres.url);
}

export async function teardown(): Promise<void> {
  const pending = stops.splice(0);
  await Promise.allSettled(pending.map((stop) => stop()));
}

async function probeRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis rejects connect() with "Connection is closed."; the socket's own error says more.
  let socketError: unknown;
  client.on('error', (err) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw socketError ?? err;
  } finally {
    client.disconnect();
  }
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startRedisContainer(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('redis:7')
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'])
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(CONTAINER_STARTUP_MS)
    .start();
  const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  await probeRedis(url);
  return { url, stop: () => container.stop() };
}

async function startPostgresContainer(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('postgres:16')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withExposedPorts(5432)
    // The image's entrypoint starts a temporary server for initdb first: wait for the second "ready".
    .withWaitStrategy(
      Wait.forAll([Wait.forLogMessage(/database system is ready to accept connections/, 2), Wait.forListeningPorts()]),
    )
    .withStartupTimeout(CONTAINER_STARTUP_MS)
    .start();
  const url = `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  await probePostgres(url);
  return { url, stop: () => container.stop() };
}

/** Cheap check before loading testcontainers at all. */
function dockerLooksAvailable(): boolean {
  if (process.env.DOCKER_HOST) return true;
  if (existsSync(join(homedir(), '.testcontainers.properties'))) return true;
  const sockets = [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.colima', 'default', 'docker.sock'),
    ...(process.env.XDG_RUNTIME_DIR ? [join(process.env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
  ];
  return sockets.some((socket) => existsSync(socket));
}

function defaultContractsDir(): void {
  if (process.env.CONTRACTS_DIR) return;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidate = resolve(root, '..', 'shared', 'contracts');
  if (existsSync(candidate)) process.env.CONTRACTS_DIR = candidate;
}

async function attempt(fn: () => Promise<void>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return oneLine(err);
  }
}

function oneLine(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return oneLine(err.errors[0]);
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.split('\n')[0]?.trim() || 'unknown error';
}

/** Hide a password in a URL before printing it. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
