import { Router, type RequestHandler } from 'express';
import type { ApiToken } from '../api-tokens.js';
import { createAuthenticator } from '../auth.js';
import type { Logger } from '../../shared/logger.js';
import { sameOrigin } from './console-auth.js';
import { safeNext } from './console-paths.js';
import * as session from './console-session.js';
import { send } from './html.js';
import { signInPage } from './plain-pages.js';

const FORM_LIFETIME_MS = 60 * 60 * 1000;

/**
 * The sign-in form: a token, checked as the API checks it, makes a session. The form is
 * protected from cross-site posting by a double-submit value (in a SameSite=Strict cookie and
 * in the form) and the browser's Origin.
 */
export function signInRoutes(
  deps: { tokens: ApiToken[]; logger: Logger },
  sessions: session.ConsoleSessions,
  form: RequestHandler,
): Router {
  const router = Router();
  const authenticate = createAuthenticator(deps.tokens);

  router.get('/sign-in', (req, res) => {
    const csrf = session.randomToken();
    session.setConsoleCookie(req, res, session.SIGN_IN_CSRF_COOKIE, csrf, FORM_LIFETIME_MS);
    send(res, signInPage(req, csrf, safeNext(req.query.next)));
  });

  router.post('/sign-in', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const csrf = session.cookies(req)[session.SIGN_IN_CSRF_COOKIE];
    const again = (status: number, problem: string) => {
      const fresh = session.randomToken();
      session.setConsoleCookie(req, res, session.SIGN_IN_CSRF_COOKIE, fresh, FORM_LIFETIME_MS);
      send(res, signInPage(req, fresh, next, problem), status);
    };
    if (!sameOrigin(req) || !session.sameSecret(typeof body._csrf === 'string' ? body._csrf : undefined, csrf))
      return again(403, 'The form was out of date. Sign in again.');
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const principal = token ? authenticate(`Bearer ${token}`) : undefined;
    if (!principal) return again(401, 'That token is not valid.');
    const { role } = principal;
    const { id } = await sessions.create(role, token);
    session.clearConsoleCookie(req, res, session.SIGN_IN_CSRF_COOKIE);
    session.setConsoleCookie(req, res, session.SESSION_COOKIE, id, session.SESSION_MAX_AGE_MS);
    deps.logger.info({ role, by: principal.name }, 'console sign-in');
    res.redirect(303, next);
  });

  return router;
}
