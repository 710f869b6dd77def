import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiToken } from './api-tokens.js';
import { AppError } from '../shared/errors.js';

export type Role = ApiToken['role'];

declare module 'express-serve-static-core' {
  interface Request {
    role?: Role;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer tokens (`Authorization: Bearer <token>`), and HTTP Basic with the token as
 * the password so the dashboard works from a browser. Compared in constant time.
 */
export function createAuthenticator(tokens: ApiToken[]) {
  const known = tokens.map((t) => ({ role: t.role, digest: digest(t.token) }));
  return (header: string | undefined): Role | undefined => {
    const presented = tokenFrom(header);
    if (!presented) return undefined;
    const d = digest(presented);
    let role: Role | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, d)) role ??= k.role;
    return role;
  };
}

function tokenFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme ?? '')) return value;
  if (/^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 ? decoded.slice(i + 1) : undefined;
  }
  return undefined;
}

/** Sets `req.role` or answers 401; `realm` asks a browser for credentials (the dashboard). */
export function requireAuth(authenticate: (h: string | undefined) => Role | undefined, realm?: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const role = authenticate(req.headers.authorization);
    if (!role) {
      if (realm) res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
      else res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new AppError('UNAUTHENTICATED', 'a valid bearer token is required'));
    }
    req.role = role;
    next();
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (req.role !== 'admin') return next(new AppError('FORBIDDEN', 'this action needs the admin role'));
  next();
}
