import { pino } from 'pino';
import { SANDBOX_IDENTITY } from '../../src/sandbox/sandbox-credentials.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { type ProviderName } from '../../src/shared/providers.js';
import { createProviderClients, type ProviderClients } from '../../src/providers/provider-clients.js';
import { EMULATORS } from '../../src/sandbox/emulators.js';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import { startSandbox, type RunningSandbox, type SandboxExchange } from '../../src/sandbox/framework/sandbox-server.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import { explain, type Contract, type Exception } from './contract-validator.js';

/**
 * The sandbox in-process on port 0, recording every exchange at the HTTP level, with the
 * product's own clients pointed at it, and a raw caller for the calls the clients never make
 * (a wrong token, a malformed body).
 */
export interface RecordingSandbox {
  sandbox: RunningSandbox;
  config: Config;
  clients: ProviderClients;
  /** Runs `act` and gives back the exchanges of `provider` recorded meanwhile, oldest first. */
  during(provider: ProviderName, act: () => Promise<unknown>): Promise<SandboxExchange[]>;
  /** A raw request under the provider's prefix, with its sandbox credential unless `headers` replace it. */
  call(
    provider: ProviderName,
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: unknown; raw?: string },
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

// Generous: a loaded machine (the sandbox drops a real database on delete) is not a failure.
const TIMEOUT_MS = 15_000;
export const CREDENTIAL_HEADERS: Record<ProviderName, Record<string, string>> = {
  supabase: { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` },
  github: { authorization: `token ${SANDBOX_CREDENTIALS.github}` },
  vercel: { authorization: `Bearer ${SANDBOX_CREDENTIALS.vercel}` },
  n8n: { 'x-n8n-api-key': SANDBOX_CREDENTIALS.n8n },
  gitea: { authorization: `token ${SANDBOX_CREDENTIALS.gitea}` },
};

export async function startRecordingSandbox(emulators: EmulatorFactory[] = EMULATORS): Promise<RecordingSandbox> {
  const recorded: SandboxExchange[] = [];
  const sandbox = await startSandbox({
    port: 0,
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    timeScale: 0.01,
    rateLimits: false,
    logger: pino({ level: 'silent' }),
    emulators,
    onExchange: (x) => recorded.push(x),
  });
  const config = loadConfig(
    { roles: ['worker'], generateMissingSecrets: true, sandbox: SANDBOX_IDENTITY },
    { SANDBOX_URL: sandbox.url, PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS) },
  );
  return {
    sandbox,
    config,
    clients: createProviderClients(config.providers, { timeoutMs: TIMEOUT_MS }),
    async during(provider, act) {
      recorded.length = 0;
      await act();
      return recorded.splice(0).filter((x) => x.provider === provider);
    },
    async call(provider, method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? CREDENTIAL_HEADERS[provider]) };
      const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
      const res = await fetch(`${sandbox.url}/${provider}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text || undefined;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        // not JSON: the text itself
      }
      return { status: res.status, body: parsed };
    },
    close: () => sandbox.close(),
  };
}

/**
 * What a test checks of a batch of exchanges: which operation answered which status (`seen`),
 * the problems no documented exception explains, and the exceptions that were needed.
 */
export function verify(contract: Contract, exchanges: SandboxExchange[], exceptions: Exception[] = []) {
  const { unexplained, used } = explain(
    exchanges.flatMap((x) => contract.check(x)),
    exceptions,
  );
  return {
    seen: [...new Set(exchanges.map((x) => `${x.operationId} ${x.response.status}`))].sort(),
    unexplained,
    used,
  };
}

/** The operations of `seen` (`operationId status` entries), sorted: every one the description has, in a happy path. */
export const operationsIn = (seen: string[]): string[] => [...new Set(seen.map((s) => s.split(' ')[0]!))].sort();
