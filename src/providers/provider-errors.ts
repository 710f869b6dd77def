import type { ProviderName } from '../shared/providers.js';
import { AppError, isAppError } from '../shared/errors.js';

/**
 * The one mapping from a provider's answer (or its silence) to our error codes, shared by
 * the fetch clients and the GitHub (octokit) client. Messages name the provider, the
 * operation and the status, never a token, a password or a request body.
 */
export interface ProviderIdentity {
  provider: ProviderName;
  /** How people call it: "Supabase", "GitHub". */
  label: string;
  /** The environment variable holding the credential, named when it is refused. */
  credential: string;
  /** Values that must never appear in a message (the token itself). */
  secrets: readonly string[];
}

export interface HttpFailure {
  operation: string;
  status: number;
  headers: Headers | Record<string, string | undefined>;
  /** The provider's own message, when it sent one. */
  providerMessage?: string;
  /** Set by a client that knows its provider's envelope (Vercel's `invalidToken` on a 403). */
  authFailed?: boolean;
  /** A wait the provider asked for in its body (Vercel's `error.limit.reset`). */
  retryAfterMs?: number;
}

export function errorForStatus(id: ProviderIdentity, f: HttpFailure): AppError {
  const header = (name: string) => (f.headers instanceof Headers ? f.headers.get(name) : f.headers[name]) ?? undefined;
  const said = f.providerMessage ? `: ${sanitise(f.providerMessage, id.secrets)}` : '';
  const where = `${id.label} ${f.operation}`;
  const details = { provider: id.provider, operation: f.operation, status: f.status };
  const retryAfterMs = f.retryAfterMs ?? retryAfterFromHeaders(header);
  // GitHub answers a limit with 403: its headers say so, or (a secondary limit without retry-after) its message.
  const rateLimitedByHeaders =
    header('retry-after') !== undefined ||
    header('x-ratelimit-remaining') === '0' ||
    /\brate limit\b/i.test(f.providerMessage ?? '');

  if (f.status === 401 || f.authFailed) {
    return new AppError(
      'PROVIDER_AUTH_FAILED',
      `${id.label} refused ${id.credential} (${f.status}) on ${f.operation}${said}`,
      { details },
    );
  }
  if (f.status === 429 || (f.status === 403 && rateLimitedByHeaders)) {
    return new AppError('PROVIDER_RATE_LIMITED', `${where} was rate limited (${f.status})${said}`, {
      retryable: true,
      details,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (f.status === 403) return new AppError('PROVIDER_FORBIDDEN', `${where} was forbidden (403)${said}`, { details });
  if (f.status === 404) return new AppError('PROVIDER_NOT_FOUND', `${where} found nothing (404)${said}`, { details });
  if (f.status === 409)
    return new AppError('PROVIDER_CONFLICT', `${where} met a conflict (409)${said}`, { retryable: true, details });
  if (f.status === 408)
    return new AppError('PROVIDER_TIMEOUT', `${where} timed out (408)${said}`, { retryable: true, details });
  if (f.status >= 500)
    return new AppError('PROVIDER_UNAVAILABLE', `${where} failed (${f.status})${said}`, { retryable: true, details });
  return new AppError('PROVIDER_REJECTED', `${where} was rejected (${f.status})${said}`, { details });
}

/** No answer at all: a timeout, a reset, a refused connection, or the caller gave up. */
export function errorForTransport(
  id: ProviderIdentity,
  operation: string,
  cause: unknown,
  timeoutMs: number,
): AppError {
  const details = { provider: id.provider, operation };
  if (isTimeout(cause)) {
    return new AppError('PROVIDER_TIMEOUT', `${id.label} ${operation} did not answer within ${timeoutMs} ms`, {
      retryable: true,
      details,
    });
  }
  const reason = transportReason(cause);
  return new AppError(
    'PROVIDER_UNAVAILABLE',
    `${id.label} ${operation} could not be reached (${sanitise(reason, id.secrets)})`,
    {
      retryable: true,
      details,
    },
  );
}

/** A 2xx whose body is not what the contract promises. */
export function badResponse(id: ProviderIdentity, operation: string, what: string): AppError {
  return new AppError('PROVIDER_BAD_RESPONSE', `${id.label} ${operation} answered with ${what}`, {
    retryable: true,
    details: { provider: id.provider, operation },
  });
}

function isTimeout(e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    if (c.name === 'TimeoutError') return true;
  }
  return false;
}

function transportReason(e: unknown): string {
  const parts: string[] = [];
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    const code = (c as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? code : c.name === 'AbortError' ? 'aborted' : c.message);
  }
  return parts.filter(Boolean).slice(-1)[0] ?? 'network error';
}

/**
 * `retry-after` in seconds or as an HTTP date; else `x-ratelimit-reset` when none remain: an epoch
 * instant for GitHub and Vercel, the seconds left in the window for Supabase (a small number).
 */
function retryAfterFromHeaders(header: (name: string) => string | undefined): number | undefined {
  const ra = header('retry-after');
  if (ra !== undefined) {
    const seconds = Number(ra);
    if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  const reset = Number(header('x-ratelimit-reset'));
  if (header('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0)
    return reset < EPOCH_2001 ? Math.round(reset * 1000) : epochSecondsToWait(reset);
  return undefined;
}

/** Below this, an `x-ratelimit-reset` is a number of seconds, not an instant. */
const EPOCH_2001 = 978_307_200;

/** Milliseconds until an epoch-seconds instant (never negative). */
export function epochSecondsToWait(epochSeconds: number): number {
  return Math.max(0, Math.round(epochSeconds * 1000 - Date.now()));
}

const MAX_MESSAGE = 300;

/** A provider's message, cut short, with any secret we hold blotted out. */
export function sanitise(message: string, secrets: readonly string[]): string {
  let m = message.replace(/\s+/g, ' ').trim();
  for (const s of secrets) if (s.length >= 4) m = m.split(s).join('[redacted]');
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE)}…` : m;
}

/** A 404 as an answer: `null` ("not there"), every other error as it is. */
export async function nullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (e) {
    if (isAppError(e) && e.code === 'PROVIDER_NOT_FOUND') return null;
    throw e;
  }
}
