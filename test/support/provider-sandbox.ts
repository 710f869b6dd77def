import { pino } from 'pino';
import { SANDBOX_IDENTITY } from '../../src/sandbox/sandbox-credentials.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createProviderClients, type ProviderClients } from '../../src/providers/provider-clients.js';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';
import { sandboxAdmin, type SandboxAdmin } from './sandbox-admin.js';

export type { SandboxCall, SandboxState } from './sandbox-admin.js';

/** The sandbox in-process on port 0, a worker config pointing at it, and clients built from that config. */
export interface ProviderSandbox extends SandboxAdmin {
  sandbox: RunningSandbox;
  config: Config;
  clients: ProviderClients;
  /** Clients with some settings overridden (a wrong token, a short timeout). */
  clientsWith(env: Record<string, string>, timeoutMs?: number): ProviderClients;
  configWith(env: Record<string, string>): Config;
  close(): Promise<void>;
}

export async function startProviderSandbox(
  options: { timeScale?: number; timeoutMs?: number; emulators?: EmulatorFactory[] } = {},
): Promise<ProviderSandbox> {
  const sandbox = await startSandbox({
    port: 0,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    timeScale: options.timeScale ?? 0.01,
    rateLimits: false,
    logger: pino({ level: 'silent' }),
    emulators: options.emulators ?? EMULATORS,
  });
  // Generous, as in the harness: under load the Supabase delete drops a real database, which can take seconds.
  // A test of the timeout itself builds its client with a short one.
  const timeoutMs = options.timeoutMs ?? 15_000;
  const configWith = (env: Record<string, string>) =>
    loadConfig(
      { roles: ['worker'], generateMissingSecrets: true, sandbox: SANDBOX_IDENTITY },
      { SANDBOX_URL: sandbox.url, PROVIDER_TIMEOUT_MS: String(timeoutMs), ...env },
    );
  const config = configWith({});
  return {
    ...sandboxAdmin(sandbox.url),
    sandbox,
    config,
    clients: createProviderClients(config.providers, { timeoutMs }),
    clientsWith: (env, t = timeoutMs) => createProviderClients(configWith(env).providers, { timeoutMs: t }),
    configWith,
    close: () => sandbox.close(),
  };
}
