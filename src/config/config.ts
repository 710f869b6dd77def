import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { ApiSettings } from '../api/app.js';
import { hashToken, parseApiTokens, type ApiToken } from '../api/api-tokens.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { ConfigError } from '../shared/errors.js';
import { parseFailpoints, type Failpoint } from '../shared/failpoints.js';
import { parseCidr } from '../shared/ip-ranges.js';
import { PROVIDER_NAMES, type ProviderMode, type ProviderName } from '../shared/providers.js';
import { clusterPrefix, hashTagOf, type RedisNode } from '../shared/redis.js';
import type { WorkerSettings } from '../worker/worker-runtime.js';

/**
 * The one place that reads the environment, and only entry points (src/main.ts and
 * each part's main.ts) import it: they pass the values down. Parsed once at start; a process
 * that lacks what it needs gets a ConfigError naming every missing or malformed key.
 */
export type Role = 'api' | 'worker' | 'sandbox';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url();

const base = z.object({
  PORT: port.default(3000),
  SANDBOX_PORT: port.default(4010),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_URL: url.optional(),
  SANDBOX_TIME_SCALE: z.coerce.number().positive().max(100).default(1),
  SANDBOX_RATE_LIMITS: z.enum(['on', 'off']).default('off'),
  SANDBOX_LIMITS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"github":{"contentPerMinute":{"limit":20}}}' });
        return z.NEVER;
      }
    })
    .optional(),
  SANDBOX_PROFILE: z.enum(['fast', 'realistic']).default('fast'),
  SANDBOX_STATE: z.enum(['postgres', 'memory']).default('postgres'),
  SANDBOX_INSTANCE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be 1-100 letters, digits, `_`, `.` or `-`')
    .default('default'),
  REDIS_URL: url.default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: z.string().transform(parseClusterNodes).optional(),
  DATABASE_URL: url.default('postgres://postgres@127.0.0.1:5432/postgres'),
  API_TOKENS: z.string().optional(),
  ENCRYPTION_KEY: z.string().optional(),
  ENCRYPTION_KEYS: z.string().optional(),
  API_WRITE_LIMIT: positiveInt.max(100_000).default(30),
  API_WRITE_WINDOW_S: positiveInt.max(86_400).default(60),
  CALLBACK_ALLOWED_HOSTS: z.string().optional(),
  CALLBACK_ALLOWED_NETWORKS: z.string().optional(),
  PROVIDERS: z.enum(['sandbox', 'live']).optional(),
  ROLLBACK_ON_FAILURE: z.enum(['auto', 'manual']).default('auto'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/)
    .default('cp'),
  WORKER_CONCURRENCY: positiveInt.max(500).default(16),
  STEP_ATTEMPTS: positiveInt.max(50).default(5),
  STEP_BACKOFF_MS: positiveInt.default(2000),
  COMPENSATION_ATTEMPTS: positiveInt.max(50).default(5),
  LOCK_DURATION_MS: positiveInt.default(6000),
  STALLED_INTERVAL_MS: positiveInt.default(2000),
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).max(10).default(3),
  PROVIDER_TIMEOUT_MS: positiveInt.default(15_000),
  SUPABASE_READY_TIMEOUT_MS: positiveInt.default(300_000),
  POLL_INTERVAL_MS: positiveInt.default(2000),
  STEP_DEADLINE_MS: positiveInt.default(1_800_000),
  RATE_BUDGETS: z.enum(['on', 'off']).default('on'),
  RATE_BUDGET_POINTS: z
    .string()
    .regex(/^\s*[a-z0-9-]+=\d+\s*(,\s*[a-z0-9-]+=\d+\s*)*$/, 'must be rule=points pairs, e.g. supabase-endpoint=100')
    .optional(),
  RATE_BUDGET_TIME_SCALE: z.coerce.number().positive().max(100).optional(),
  RATE_LIMIT_INLINE_WAIT_MS: z.coerce.number().int().min(0).default(3000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  JOB_RETENTION_S: positiveInt.default(86_400),
  JOB_RETENTION_COUNT: positiveInt.default(10_000),
  RUN_RETENTION_S: z.coerce.number().int().min(0).default(2_592_000),
  RECONCILE_INTERVAL_MS: positiveInt.default(15_000),
  RECONCILE_QUIET_MS: positiveInt.default(30_000),
  RUN_DEADLINE_MS: positiveInt.default(10_800_000),
  FAILPOINTS: z.string().optional(),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CALLBACK_ATTEMPTS: positiveInt.max(50).default(10),
  CALLBACK_BACKOFF_MS: positiveInt.default(5000),

  SUPABASE_MANAGEMENT_TOKEN: z.string().min(1).optional(),
  SUPABASE_ORG_ID: z.string().min(1).optional(),
  SUPABASE_REGION: z.string().min(1).default('af-south-1'),
  SUPABASE_API_URL: url.optional(),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_ORG: z.string().min(1).optional(),
  GITHUB_TEMPLATE_REPO: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name')
    .optional(),
  GITHUB_API_URL: url.optional(),
  VERCEL_TOKEN: z.string().min(1).optional(),
  VERCEL_TEAM_ID: z.string().min(1).optional(),
  VERCEL_API_URL: url.optional(),
  N8N_API_KEY: z.string().min(1).optional(),
  N8N_HOST: z.string().min(1).optional(),
  GITEA_URL: url.optional(),
  GITEA_TOKEN: z.string().min(1).optional(),
  GITEA_BACKUP_REPO: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name')
    .default('ops-hub/client-backups'),
});

type Env = z.infer<typeof base>;

/** Everything a process may need; each part's shape is owned by the part that uses it. */
export interface Config extends Omit<ApiSettings, 'worker'>, WorkerSettings {
  databaseUrl: string;
  logLevel: Env['LOG_LEVEL'];
  /** LOG_FORMAT when set; each entry point picks its own default (npm start: pretty). */
  logFormat?: Env['LOG_FORMAT'];
  /** True when the admin token was made up at start (npm start without API_TOKENS). */
  apiTokenGenerated: boolean;
  encryptionKeyGenerated: boolean;
  /** ENCRYPTION_KEYS (or ENCRYPTION_KEY alone), newest first; `encryptionKey` is the first. */
  encryptionKeys: Buffer[];
  /** How long SIGTERM/SIGINT may take before the process exits anyway, naming what did not stop. */
  shutdownTimeoutMs: number;
  sandbox: {
    port: number;
    host: string;
    url: string;
    timeScale: number;
    rateLimits: boolean;
    /** Overrides of the documented rate limits (SANDBOX_LIMITS, JSON): the sandbox checks their shape. */
    limits: unknown;
    profile: 'fast' | 'realistic';
    /** Where the emulators' world lives: DATABASE_URL's `sandbox_state` schema, or memory. */
    state: 'postgres' | 'memory';
    /** The sandbox's name in that schema: restarted with the same name, it finds its world again. */
    instance: string;
  };
  /** True when CALLBACK_SECRET was made up at start (npm start): printed once. */
  callbackSecretGenerated: boolean;
  providers: ProvidersConfig;
}

/**
 * What the sandbox accepts and is set up with, handed in by the entry point that runs
 * or talks to it (src/sandbox/sandbox-credentials.ts): config knows nothing of the emulator.
 */
export interface SandboxIdentity {
  credentials: Readonly<Record<ProviderName, string>>;
  supabaseOrg: string;
  githubOrg: string;
  githubTemplateRepo: string;
}

export interface LoadOptions {
  /** Which processes run here: each adds what it needs to the required keys. */
  roles: Role[];
  /** npm start: make up an admin token, an encryption key and a callback secret when none is given. */
  generateMissingSecrets?: boolean;
  /** The sandbox's credentials and names, for the providers it emulates. */
  sandbox?: SandboxIdentity;
}

/** Which settings a live provider needs (URL settings with a public default are not listed). */
const LIVE_KEYS: Record<ProviderName, (keyof Env)[]> = {
  supabase: ['SUPABASE_MANAGEMENT_TOKEN', 'SUPABASE_ORG_ID'],
  github: ['GITHUB_TOKEN', 'GITHUB_ORG', 'GITHUB_TEMPLATE_REPO'],
  vercel: ['VERCEL_TOKEN'],
  n8n: ['N8N_API_KEY', 'N8N_HOST'],
  gitea: ['GITEA_URL', 'GITEA_TOKEN'],
};
/** In sandbox mode a provider is used for real when its own URL and credential are both set. */
const REAL_IN_SANDBOX: Record<ProviderName, [keyof Env, keyof Env]> = {
  supabase: ['SUPABASE_API_URL', 'SUPABASE_MANAGEMENT_TOKEN'],
  github: ['GITHUB_API_URL', 'GITHUB_TOKEN'],
  vercel: ['VERCEL_API_URL', 'VERCEL_TOKEN'],
  n8n: ['N8N_HOST', 'N8N_API_KEY'],
  gitea: ['GITEA_URL', 'GITEA_TOKEN'],
};

export function loadConfig(options: LoadOptions, source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = base.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  const roles = new Set(options.roles);
  const has = (k: keyof Env) => env[k] !== undefined;

  const allLive = PROVIDER_NAMES.every((p) => LIVE_KEYS[p].every(has));
  const providersMode: ProviderMode = env.PROVIDERS ?? (allLive ? 'live' : 'sandbox');

  const modes = Object.fromEntries(
    PROVIDER_NAMES.map((p) => {
      const real = providersMode === 'live' || REAL_IN_SANDBOX[p].every(has);
      return [p, real ? 'live' : 'sandbox'];
    }),
  ) as Record<ProviderName, ProviderMode>;

  const sandbox = options.sandbox;
  if (roles.has('worker')) {
    for (const p of PROVIDER_NAMES) {
      if (modes[p] === 'sandbox' && !sandbox)
        problems.push(`PROVIDERS: ${p} is emulated, but no sandbox credentials were handed to this process`);
      if (modes[p] !== 'live') continue;
      for (const key of LIVE_KEYS[p]) if (!has(key)) problems.push(`${key}: required for ${p} in live mode`);
    }
  }

  let apiTokens: ApiToken[] = [];
  let apiTokenGenerated = false;
  if (env.API_TOKENS) {
    const parsedTokens = parseApiTokens(env.API_TOKENS);
    if (typeof parsedTokens === 'string') problems.push(`API_TOKENS: ${parsedTokens}`);
    else apiTokens = parsedTokens;
  } else if (roles.has('api')) {
    if (options.generateMissingSecrets) {
      const token = randomBytes(24).toString('base64url');
      apiTokens = [{ role: 'admin', name: 'admin', sha256: hashToken(token), token }];
      apiTokenGenerated = true;
    } else {
      problems.push('API_TOKENS: required (role:name:token entries, e.g. admin:ops:<token>,viewer:board:<token>)');
    }
  }

  let encryptionKeys: Buffer[] = [];
  let encryptionKeyGenerated = false;
  if (env.ENCRYPTION_KEYS && env.ENCRYPTION_KEY) {
    problems.push('ENCRYPTION_KEY: set ENCRYPTION_KEYS or ENCRYPTION_KEY, not both (put it in ENCRYPTION_KEYS)');
  } else if (env.ENCRYPTION_KEYS || env.ENCRYPTION_KEY) {
    const key = env.ENCRYPTION_KEYS ? 'ENCRYPTION_KEYS' : 'ENCRYPTION_KEY';
    const values = (env.ENCRYPTION_KEYS ?? env.ENCRYPTION_KEY ?? '').split(',').map((v) => v.trim());
    for (const [i, value] of values.entries()) {
      const parsedKey = parseEncryptionKey(value);
      if (!parsedKey) problems.push(`${key}: key ${i + 1} must be 32 bytes, as 64 hex characters or base64`);
      else if (encryptionKeys.some((k) => k.equals(parsedKey))) problems.push(`${key}: key ${i + 1} is listed twice`);
      else encryptionKeys.push(parsedKey);
    }
  } else if (roles.has('worker')) {
    if (options.generateMissingSecrets) {
      encryptionKeys = [randomBytes(32)];
      encryptionKeyGenerated = true;
    } else {
      problems.push('ENCRYPTION_KEYS: required (32 bytes each, newest first: openssl rand -hex 32)');
    }
  }

  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const allowedHosts = list(env.CALLBACK_ALLOWED_HOSTS);
  for (const h of allowedHosts)
    if (!/^(\*\.)?[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(h))
      problems.push(`CALLBACK_ALLOWED_HOSTS: "${h}" is not a host name or *.domain`);
  const allowedNetworks = list(env.CALLBACK_ALLOWED_NETWORKS);
  for (const n of allowedNetworks)
    if (!parseCidr(n)) problems.push(`CALLBACK_ALLOWED_NETWORKS: "${n}" is not an address or CIDR network`);
  let callbackSecret = env.CALLBACK_SECRET;
  const callbackSecretGenerated = !callbackSecret && roles.has('worker') && Boolean(options.generateMissingSecrets);
  if (callbackSecretGenerated) callbackSecret = randomBytes(24).toString('base64url');
  const parsedFailpoints = parseFailpoints(env.FAILPOINTS ?? '');
  const failpoints = parsedFailpoints.filter((p): p is Failpoint => typeof p !== 'string');
  for (const p of parsedFailpoints) if (typeof p === 'string') problems.push(`FAILPOINTS: ${p}`);
  if (failpoints.length && (env.NODE_ENV === 'production' || providersMode === 'live'))
    problems.push('FAILPOINTS: test seams that kill the process; refused in production and with live providers');

  if (env.REDIS_CLUSTER_NODES && /[{}]/.test(env.QUEUE_PREFIX) && !hashTagOf(env.QUEUE_PREFIX))
    problems.push('QUEUE_PREFIX: on a Redis Cluster its braces must enclose a hash tag, e.g. {cp} or cp-{eu}');

  if (problems.length) throw new ConfigError(problems);

  const sandboxUrl = (env.SANDBOX_URL ?? `http://127.0.0.1:${env.SANDBOX_PORT}`).replace(/\/+$/, '');
  const [templateOwner, templateRepo] = (env.GITHUB_TEMPLATE_REPO ?? sandbox?.githubTemplateRepo ?? '/').split('/') as [
    string,
    string,
  ];
  const [backupOwner, backupRepo] = env.GITEA_BACKUP_REPO.split('/') as [string, string];
  const pick = <T>(p: ProviderName, live: T, sandbox: T): T => (modes[p] === 'live' ? live : sandbox);

  return {
    port: env.PORT,
    redisUrl: env.REDIS_URL,
    ...(env.REDIS_CLUSTER_NODES ? { redisClusterNodes: env.REDIS_CLUSTER_NODES } : {}),
    databaseUrl: env.DATABASE_URL,
    // On a cluster every key of the deployment carries one hash tag: `cp` is used as `{cp}`.
    queuePrefix: env.REDIS_CLUSTER_NODES ? clusterPrefix(env.QUEUE_PREFIX) : env.QUEUE_PREFIX,
    logLevel: env.LOG_LEVEL,
    ...(env.LOG_FORMAT ? { logFormat: env.LOG_FORMAT } : {}),
    providersMode,
    rollbackOnFailure: env.ROLLBACK_ON_FAILURE,
    apiTokens,
    apiTokenGenerated,
    encryptionKey: encryptionKeys[0] ?? Buffer.alloc(0),
    encryptionKeys,
    encryptionKeyGenerated,
    writeLimit: { points: env.API_WRITE_LIMIT, windowSeconds: env.API_WRITE_WINDOW_S },
    callbacks: { allowLoopback: providersMode === 'sandbox', allowedHosts, allowedNetworks },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    jobRetention: { ageSeconds: env.JOB_RETENTION_S, count: env.JOB_RETENTION_COUNT },
    finishedRunTtlMs: env.RUN_RETENTION_S * 1000,
    failpoints,
    reconciler: {
      intervalMs: env.RECONCILE_INTERVAL_MS,
      quietMs: env.RECONCILE_QUIET_MS,
      deadlineMs: env.RUN_DEADLINE_MS,
    },
    metricsToken: env.METRICS_TOKEN,
    callbackDelivery: { secret: callbackSecret, attempts: env.CALLBACK_ATTEMPTS, backoffMs: env.CALLBACK_BACKOFF_MS },
    callbackSecretGenerated,
    sandbox: {
      port: env.SANDBOX_PORT,
      host: env.SANDBOX_HOST,
      url: sandboxUrl,
      timeScale: env.SANDBOX_TIME_SCALE,
      rateLimits: env.SANDBOX_RATE_LIMITS === 'on',
      limits: env.SANDBOX_LIMITS ?? {},
      profile: env.SANDBOX_PROFILE,
      state: env.SANDBOX_STATE,
      instance: env.SANDBOX_INSTANCE,
    },
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      stepAttempts: env.STEP_ATTEMPTS,
      stepBackoffMs: env.STEP_BACKOFF_MS,
      compensationAttempts: env.COMPENSATION_ATTEMPTS,
      lockDurationMs: env.LOCK_DURATION_MS,
      stalledIntervalMs: env.STALLED_INTERVAL_MS,
      maxStalledCount: env.MAX_STALLED_COUNT,
      providerTimeoutMs: env.PROVIDER_TIMEOUT_MS,
      supabaseReadyTimeoutMs: env.SUPABASE_READY_TIMEOUT_MS,
      pollIntervalMs: env.POLL_INTERVAL_MS,
      stepDeadlineMs: env.STEP_DEADLINE_MS,
    },
    rateBudgets: {
      enabled: env.RATE_BUDGETS === 'on',
      // The sandbox shrinks its windows by SANDBOX_TIME_SCALE; the budgets of the providers it emulates follow.
      timeScale: Object.fromEntries(
        PROVIDER_NAMES.map((p) => [
          p,
          env.RATE_BUDGET_TIME_SCALE ?? (modes[p] === 'sandbox' ? env.SANDBOX_TIME_SCALE : 1),
        ]),
      ) as Record<ProviderName, number>,
      points: Object.fromEntries(
        (env.RATE_BUDGET_POINTS ?? '')
          .split(',')
          .filter((s) => s.trim())
          .map((pair) => {
            const [id, points] = pair.split('=');
            return [id!.trim(), Number(points)];
          }),
      ),
      maxInlineWaitMs: env.RATE_LIMIT_INLINE_WAIT_MS,
    },
    providers: {
      supabase: {
        mode: modes.supabase,
        baseUrl: pick('supabase', env.SUPABASE_API_URL ?? 'https://api.supabase.com', `${sandboxUrl}/supabase`),
        token: pick('supabase', env.SUPABASE_MANAGEMENT_TOKEN ?? '', sandbox?.credentials.supabase ?? ''),
        orgSlug: pick('supabase', env.SUPABASE_ORG_ID ?? '', env.SUPABASE_ORG_ID ?? sandbox?.supabaseOrg ?? ''),
        region: env.SUPABASE_REGION,
      },
      github: {
        mode: modes.github,
        baseUrl: pick('github', env.GITHUB_API_URL ?? 'https://api.github.com', `${sandboxUrl}/github`),
        token: pick('github', env.GITHUB_TOKEN ?? '', sandbox?.credentials.github ?? ''),
        org: env.GITHUB_ORG ?? sandbox?.githubOrg ?? '',
        templateOwner,
        templateRepo,
      },
      vercel: {
        mode: modes.vercel,
        baseUrl: pick('vercel', env.VERCEL_API_URL ?? 'https://api.vercel.com', `${sandboxUrl}/vercel`),
        token: pick('vercel', env.VERCEL_TOKEN ?? '', sandbox?.credentials.vercel ?? ''),
        ...(env.VERCEL_TEAM_ID ? { teamId: env.VERCEL_TEAM_ID } : {}),
      },
      n8n: {
        mode: modes.n8n,
        baseUrl: pick('n8n', normaliseN8nHost(env.N8N_HOST ?? ''), `${sandboxUrl}/n8n`),
        apiKey: pick('n8n', env.N8N_API_KEY ?? '', sandbox?.credentials.n8n ?? ''),
      },
      gitea: {
        mode: modes.gitea,
        baseUrl: pick('gitea', (env.GITEA_URL ?? '').replace(/\/+$/, ''), `${sandboxUrl}/gitea`),
        token: pick('gitea', env.GITEA_TOKEN ?? '', sandbox?.credentials.gitea ?? ''),
        backupOwner,
        backupRepo,
      },
    },
  };
}

/** REDIS_CLUSTER_NODES: `host:port` pairs, comma-separated (an IPv6 host in brackets). */
function parseClusterNodes(text: string, ctx: z.RefinementCtx): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const entry of text.split(',').map((s) => s.trim())) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (e.g. 10.0.0.1:7000,10.0.0.2:7000)` });
      return z.NEVER;
    }
    nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** `N8N_HOST` may be a bare host (https) or a full URL such as http://127.0.0.1:5678. */
export function normaliseN8nHost(host: string): string {
  if (!host) return '';
  const withScheme = /^https?:\/\//i.test(host) ? host : `https://${host}`;
  return withScheme.replace(/\/+$/, '');
}

function parseEncryptionKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const b = Buffer.from(value, 'base64');
  return b.length === 32 ? b : undefined;
}
