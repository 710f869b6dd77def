import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createProviderClients, type ProviderClients } from '../../src/providers/provider-clients.js';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import type { FaultRule } from '../../src/sandbox/framework/faults.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/framework/sandbox-server.js';

/** The admin route's JSON, loosely typed: each test reads the slice it checks. */
export type SandboxState = Record<string, any>;
export interface SandboxCall {
  provider: string;
  operationId: string;
  method: string;
  path: string;
  status: number;
  fault?: string;
}

/** The sandbox in-process on port 0, a worker config pointing at it, and clients built from that config. */
export interface ProviderSandbox {
  sandbox: RunningSandbox;
  config: Config;
  clients: ProviderClients;
  /** Clients with some settings overridden (a wrong token, a short timeout). */
  clientsWith(env: Record<string, string>, timeoutMs?: number): ProviderClients;
  configWith(env: Record<string, string>): Config;
  /** `GET /_sandbox/state`, loosely typed: each test reads the slice it checks. */
  state(): Promise<SandboxState>;
  calls(): Promise<SandboxCall[]>;
  addFaults(rules: FaultRule[]): Promise<void>;
  /** `DELETE /_sandbox/faults`: for an `afterEach`, so that a failing test cannot leak its faults. */
  clearFaults(): Promise<void>;
  reset(): Promise<void>;
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
  const timeoutMs = options.timeoutMs ?? 5000;
  const configWith = (env: Record<string, string>) =>
    loadConfig(
      { roles: ['worker'], generateMissingSecrets: true },
      { SANDBOX_URL: sandbox.url, PROVIDER_TIMEOUT_MS: String(timeoutMs), ...env },
    );
  const config = configWith({});
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    sandbox,
    config,
    clients: createProviderClients(config.providers, { timeoutMs }),
    clientsWith: (env, t = timeoutMs) => createProviderClients(configWith(env).providers, { timeoutMs: t }),
    configWith,
    state: async () => (await admin('GET', '/state')) as SandboxState,
    calls: async () => (await admin('GET', '/calls')) as SandboxCall[],
    addFaults: async (rules) => void (await admin('POST', '/faults', { rules })),
    clearFaults: async () => void (await admin('DELETE', '/faults')),
    reset: async () => void (await admin('POST', '/reset')),
    close: () => sandbox.close(),
  };
}

/** Re-exported for the step tests (test/steps), which import it from here. */
export { buildRequest } from './factories.js';
