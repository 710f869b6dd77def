import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../shared/errors.js';
import type { ApiToken } from '../api-tokens.js';
import { createAuthenticator, type Principal } from '../auth.js';
import { paths } from './console-paths.js';
import { cookies, sameSecret, SESSION_COOKIE, type ConsoleSession, type ConsoleSessions } from './console-session.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the console request was authenticated by its session cookie (not a header). */
    consoleSession?: { id: string; session: ConsoleSession };
  }
}

/**
 * Who is asking: an `Authorization` header (a script; the same tokens as the API) or the
 * session cookie of a signed-in browser. Sets `req.role` like the API's own auth, so
 * `requireAdmin` applies unchanged. A session ends as soon as its token is no longer configured.
 * A page asked for without a session redirects to the sign-in form; anything else is 401.
 */
export function consoleAuth(tokens: ApiToken[], sessions: ConsoleSessions) {
  const authenticate = createAuthenticator(tokens);
  const principalOfDigest = new Map<string, Principal>();
  for (const t of tokens) if (!principalOfDigest.has(t.sha256)) principalOfDigest.set(t.sha256, t);

  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization) {
      const principal = authenticate(req.headers.authorization);
      if (!principal) return next(new AppError('UNAUTHENTICATED', 'a valid bearer token is required'));
      req.role = principal.role;
      req.actor = principal.name;
      return next();
    }
    const id = cookies(req)[SESSION_COOKIE];
    const session = await sessions.get(id);
    const principal = session && principalOfDigest.get(session.tokenDigest);
    if (!id || !session || !principal) {
      if (req.method === 'GET' && req.accepts(['html', 'text/event-stream']) === 'html')
        return res.redirect(303, `${paths.signIn}?next=${encodeURIComponent(req.originalUrl)}`);
      return next(new AppError('UNAUTHENTICATED', 'sign in first'));
    }
    req.role = principal.role;
    req.actor = principal.name;
    req.consoleSession = { id, session: { ...session, role: principal.role } };
    next();
  };
}

/**
 * CSRF: a form posted with a session cookie carries the session's token and, where the
 * browser says where it comes from, comes from this origin. The cookie is SameSite=Strict
 * too. A request with an Authorization header carries no ambient credential to forge.
 */
export function requireCsrf(req: Request, _res: Response, next: NextFunction) {
  const session = req.consoleSession?.session;
  if (!session) return next();
  const presented = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!sameOrigin(req) || !sameSecret(typeof presented === 'string' ? presented : undefined, session.csrf))
    return next(
      new AppError('FORBIDDEN', 'this form is out of date or was not sent from the console; reload the page'),
    );
  next();
}

/** `Origin` and `Sec-Fetch-Site`, when a browser sends them, say the request comes from this site. */
export function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin') return false;
  const origin = req.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
