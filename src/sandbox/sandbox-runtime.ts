import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { ConfigError, UnreachableError } from '../shared/errors.js';
import { limitOverridesSchema, type LimitOverrides } from './sandbox-limits.js';
import type { SandboxProfile } from './sandbox-profiles.js';
import { EMULATORS } from './emulators.js';
import { startSandbox, type RunningSandbox } from './framework/sandbox-server.js';

/** What the sandbox needs of the configuration (the entry point passes it down). */
export interface SandboxSettings {
  databaseUrl: string;
  sandbox: {
    port: number;
    host: string;
    url: string;
    timeScale: number;
    rateLimits: boolean;
    /** SANDBOX_LIMITS as parsed JSON; its shape is checked here, where the rules are known. */
    limits: unknown;
    profile: SandboxProfile;
    state: 'postgres' | 'memory';
    instance: string;
  };
}

/** The limit overrides, or a ConfigError naming SANDBOX_LIMITS and each bad field. */
export function parseLimitOverrides(raw: unknown): LimitOverrides {
  const parsed = limitOverridesSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `SANDBOX_LIMITS.${i.path.join('.')}: ${i.message}`));
}

/** The sandbox as configured: Postgres must answer, because Supabase projects (and, unless SANDBOX_STATE=memory, the world) live there. */
export async function startConfiguredSandbox(
  config: SandboxSettings,
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
    limits: parseLimitOverrides(config.sandbox.limits),
    profile: config.sandbox.profile,
    logger,
    emulators: EMULATORS,
    ...(overrides.port === undefined ? { publicUrl: config.sandbox.url } : {}),
    ...(config.sandbox.state === 'postgres' ? { world: { instance: config.sandbox.instance } } : {}),
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
