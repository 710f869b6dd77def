/**
 * One error type for the whole product. Every error carries a stable string `code`
 * and says whether trying again can help (`retryable`). After an error has crossed
 * Redis (a failed job's reason), match on `code`, never on `instanceof`.
 */
export type ErrorCode =
  // request and API
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CLIENT_ALREADY_PROVISIONED'
  | 'CLIENT_NEEDS_ATTENTION'
  | 'INVALID_STATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'READ_ONLY'
  | 'OUTBOUND_REFUSED'
  | 'INTERNAL'
  // configuration
  | 'CONFIG_INVALID'
  // providers
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_FORBIDDEN'
  | 'PROVIDER_RATE_LIMITED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_NOT_FOUND'
  | 'PROVIDER_CONFLICT'
  | 'PROVIDER_REJECTED'
  | 'PROVIDER_BAD_RESPONSE'
  // steps
  | 'RESOURCE_FAILED'
  | 'RESOURCE_NOT_READY'
  | 'VERIFICATION_FAILED'
  | 'DEPENDENCY_FAILED'
  | 'SECRET_UNAVAILABLE'
  | 'STEP_CRASHED'
  | 'LOCK_LOST'
  | 'RUN_DEADLINE_EXCEEDED'
  | 'ROLLBACK_ABANDONED'
  | 'ROLLBACK_INCOMPLETE';

export interface ErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
  /** For rate limits: how long the provider asked us to wait. */
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.details) this.details = options.details;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A failure at start-up an operator can act on: printed as one line, no stack trace
 * (SPEC 2). Each names what was tried and how to fix it.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The environment lacks or mangles settings: names every problem at once. */
export class ConfigError extends StartupError {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Redis (one server or a cluster's nodes) or Postgres does not answer where configured. */
export class UnreachableError extends StartupError {
  override name = 'UnreachableError';
  constructor(what: 'Redis' | 'Redis Cluster' | 'PostgreSQL', where: string, cause?: unknown) {
    super(
      what === 'Redis Cluster'
        ? `Redis Cluster is not reachable at REDIS_CLUSTER_NODES ${where} (${causeText(cause)}). ` +
            'Check that its nodes run and that CLUSTER INFO says cluster_state:ok.'
        : `${what} is not reachable at ${redactUrl(where)}. Start one with \`docker compose up -d redis postgres\`, ` +
            `or the distribution's package (apt-get install ${what === 'Redis' ? 'redis-server' : 'postgresql'}).`,
      { cause },
    );
  }
}

const causeText = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause));

/** BullMQ loses jobs on an evicting Redis: the worker refuses to start on one. */
export class EvictingRedisError extends StartupError {
  override name = 'EvictingRedisError';
  /** `node`: the cluster master that evicts (every master must not). */
  constructor(policy: string, node?: string) {
    const where = node ? ` on ${node}` : '';
    const fix = node ? `redis-cli -h ${node.replace(/:(\d+)$/, ' -p $1')} ` : 'redis-cli ';
    super(
      `Redis maxmemory-policy is "${policy}"${where}; BullMQ needs "noeviction" or jobs are lost. ` +
        `Set it (${fix}config set maxmemory-policy noeviction) and start again.`,
    );
  }
}

/**
 * What a step job throws to BullMQ for a failure worth another attempt: the message is
 * the encoded reason (code survives Redis), and a provider's retry-after feeds the backoff.
 */
export class RetryableStepError extends Error {
  override name = 'RetryableStepError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A URL as it may be shown: the password masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export const isAppError = (e: unknown): e is AppError =>
  e instanceof Error && typeof (e as Partial<AppError>).code === 'string' && 'retryable' in e;

/** The error as it is stored and shown: no stack, no cause, nothing secret. */
export interface ErrorView {
  code: string;
  message: string;
  retryable: boolean;
}

export function toErrorView(e: unknown): ErrorView {
  if (isAppError(e)) return { code: e.code, message: e.message, retryable: e.retryable };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message, retryable: true };
}

/**
 * The error in a failed job's reason, which BullMQ keeps as the thrown message. Step jobs now
 * record their error in their data (runs/step-failures.ts) and their reason is words; jobs from
 * before that carry `CODE|retryable|message`, and a job that stalled out carries BullMQ's text.
 */
export function decodeReason(reason: string | undefined): ErrorView | undefined {
  if (!reason) return undefined;
  const m = /^([A-Z_]+)\|(retryable|final)\|([\s\S]*)$/.exec(reason);
  if (m) return { code: m[1]!, retryable: m[2] === 'retryable', message: m[3]! };
  if (/stalled more than allowable limit/i.test(reason)) {
    return { code: 'STEP_CRASHED', message: 'the worker running this step died twice', retryable: true };
  }
  return { code: 'INTERNAL', message: reason, retryable: true };
}
