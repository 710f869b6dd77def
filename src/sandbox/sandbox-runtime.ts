import pg from 'pg';
import type { Config } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { UnreachableError } from '../shared/redis.js';
import { EMULATORS } from './emulators.js';
import { startSandbox, type RunningSandbox } from './framework/sandbox-server.js';

/** The sandbox as configured: Postgres must answer, because Supabase projects live there. */
export async function startConfiguredSandbox(
  config: Config,
  logger: Logger,
  overrides: { port?: number } = {},
): Promise<RunningSandbox> {
  await assertPostgresReachable(config.databaseUrl);
  return startSandbox({
    port: overrides.port ?? config.sandbox.port,
    host: config.sandbox.host,
    databaseUrl: config.databaseUrl,
    timeScale: config.sandbox.timeScale,
    rateLimits: config.sandbox.rateLimits,
    limits: config.sandbox.limits,
    profile: config.sandbox.profile,
    logger,
    emulators: EMULATORS,
    ...(overrides.port === undefined ? { publicUrl: config.sandbox.url } : {}),
  });
}

export async function assertPostgresReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (cause) {
    throw new UnreachableError('PostgreSQL', url, cause);
  } finally {
    await client.end().catch(() => undefined);
  }
}
