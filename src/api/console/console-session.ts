import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from '../../shared/redis.js';
import type { Request, Response } from 'express';
import type { Role } from '../auth.js';
import { CONSOLE_PATH } from './console-paths.js';

export const SESSION_COOKIE = 'cp_console';
export const SIGN_IN_CSRF_COOKIE = 'cp_console_csrf';
const SESSION_TTL_SECONDS = 8 * 60 * 60;

export interface ConsoleSession {
  role: Role;
  /** SHA-256 of the token signed in with: the session ends when that token is no longer configured. */
  tokenDigest: string;
  /** Every form of the session carries it back (CSRF). */
  csrf: string;
  createdAt: string;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const randomToken = () => randomBytes(32).toString('base64url');

/** Equal strings, compared in constant time. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(sha256(a), 'hex');
  const y = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(x, y);
}

/**
 * Console sessions in Redis under the queue prefix, keyed by a hash of the session id (so
 * reading Redis does not hand anyone a session), expiring after eight hours.
 */
export class ConsoleSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key = (id: string) => `${this.prefix}:console-session:${sha256(id)}`;

  async create(role: Role, token: string): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomToken();
    const session: ConsoleSession = {
      role,
      tokenDigest: sha256(token),
      csrf: randomToken(),
      createdAt: new Date().toISOString(),
    };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', SESSION_TTL_SECONDS);
    return { id, session };
  }

  async get(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (!id || id.length > 100) return undefined;
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as ConsoleSession) : undefined;
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id) await this.redis.del(this.key(id));
  }
}

/** The request's cookies (no cookie-parser: two cookies are all the console reads). */
export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    const name = pair.slice(0, i).trim();
    try {
      out[name] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      // a malformed cookie is no cookie
    }
  }
  return out;
}

/** HttpOnly, SameSite=Strict, only for the console's paths; Secure when the request came over TLS. */
export function setConsoleCookie(req: Request, res: Response, name: string, value: string, maxAgeMs?: number) {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: CONSOLE_PATH,
    ...(maxAgeMs ? { maxAge: maxAgeMs } : {}),
  });
}

export function clearConsoleCookie(req: Request, res: Response, name: string) {
  res.clearCookie(name, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: CONSOLE_PATH });
}

export const SESSION_MAX_AGE_MS = SESSION_TTL_SECONDS * 1000;
