import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiToken } from './api-tokens.js';
import { AppError } from '../shared/errors.js';

export type Role = ApiToken['role'];

/** Who made a request: the role of the token and its name (recorded on every action). */
export interface Principal {
  role: Role;
  name: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    role?: Role;
    /** The name of the token the request was made with. */
    actor?: string;
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer tokens (`Authorization: Bearer <token>`), and HTTP Basic with the token as
 * the password so the dashboard works from a browser. The presented token is hashed and
 * compared with every known hash in constant time (all of them, whatever matches).
 */
export function createAuthenticator(tokens: ApiToken[]) {
  const known = tokens.map((t) => ({ role: t.role, name: t.name, digest: Buffer.from(t.sha256, 'hex') }));
  return (header: string | undefined): Principal | undefined => {
    const presented = tokenFrom(header);
    if (!presented) return undefined;
    const d = digest(presented);
    let found: Principal | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, d)) found ??= { role: k.role, name: k.name };
    return found;
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

/** Sets `req.role` and `req.actor` or answers 401; `realm` asks a browser for credentials (the dashboard). */
export function requireAuth(authenticate: (h: string | undefined) => Principal | undefined, realm?: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = authenticate(req.headers.authorization);
    if (!principal) {
      if (realm) res.setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
      else res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new AppError('UNAUTHENTICATED', 'a valid bearer token is required'));
    }
    req.role = principal.role;
    req.actor = principal.name;
    next();
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (req.role !== 'admin') return next(new AppError('FORBIDDEN', 'this action needs the admin role'));
  next();
}
