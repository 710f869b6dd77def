import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { retryRun, startRollback, type RunCommandDeps } from '../../runs/run-commands.js';
import type { RunEventHub } from '../../runs/run-events.js';
import { queryRuns } from '../../runs/run-query.js';
import { viewRun } from '../../runs/run-view.js';
import { RUN_STATES } from '../../runs/run.types.js';
import type { ApiToken } from '../api-tokens.js';
import { requireAdmin } from '../auth.js';
import { classify } from '../error-handler.js';
import { runIdParam } from '../provisioning.schema.js';
import { consoleAssets } from './console-assets.js';
import { consoleAuth, requireCsrf } from './console-auth.js';
import { runEventStream } from './console-events.js';
import { ACTIONS, paths, type ConsoleAction } from './console-paths.js';
import { ACTION_TEXT, actionsFor, type ConsoleRun } from './console-run.js';
import * as session from './console-session.js';
import { send } from './html.js';
import { errorPage } from './plain-pages.js';
import { confirmPage, runLive, runPage } from './run-page.js';
import { runRows, runsPage } from './runs-page.js';
import { signInRoutes } from './sign-in.routes.js';

export interface ConsoleDeps extends RunCommandDeps {
  tokens: ApiToken[];
  events: RunEventHub;
  logger: Logger;
}

const listQuery = z.object({
  state: z.union([z.enum(RUN_STATES), z.literal('')]).optional(),
  client: z.string().trim().max(64).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
const PAGE_SIZE = 25;

/** A strict policy the pages are built for: this origin only, no inline script or style, no framing. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

/**
 * The run console: server-rendered pages over the run view and the run commands the JSON API
 * uses (nothing here decides a run's state), a little same-origin script for live updates.
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const router = Router();
  const sessions = new session.ConsoleSessions(deps.queues.connection, deps.queues.prefix);
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });

  router.use((_req, res, next) => void (res.set(SECURITY_HEADERS), next()));
  router.use('/assets', consoleAssets());

  router.use(signInRoutes(deps, sessions, form));

  router.use(consoleAuth(deps.tokens, sessions));

  router.get('/', (_req, res) => res.redirect(303, paths.runs));

  router.post('/sign-out', form, requireCsrf, async (req, res) => {
    await sessions.destroy(req.consoleSession?.id);
    session.clearConsoleCookie(req, res, session.SESSION_COOKIE);
    res.redirect(303, paths.signIn);
  });

  router.get('/events', runEventStream(deps.events));

  const listRuns = async (req: Request) => {
    const q = listQuery.parse(req.query);
    const filter = { ...(q.state ? { state: q.state } : {}), ...(q.client ? { client: q.client } : {}), page: q.page };
    const found = await queryRuns(deps.store, {
      ...(q.state ? { state: q.state } : {}),
      ...(q.client ? { clientId: q.client } : {}),
      page: q.page,
      pageSize: PAGE_SIZE,
    });
    return { filter, ...found };
  };
  router.get('/runs', async (req, res) => {
    const { filter, runs, hasMore } = await listRuns(req);
    send(res, runsPage(req, runs, filter, hasMore));
  });
  router.get('/runs/rows', async (req, res) => {
    const { filter, runs } = await listRuns(req);
    send(res, runRows(runs, filter));
  });

  const loadView = async (req: Request): Promise<ConsoleRun> => {
    const runId = String(req.params.runId);
    const run = runIdParam.safeParse(runId).success ? await deps.store.get(runId) : undefined;
    if (!run) throw new AppError('NOT_FOUND', `no run ${runId.slice(0, 64)}`);
    return viewRun(deps.queues, run);
  };
  router.get('/runs/:runId', async (req, res) => {
    const run = await loadView(req);
    const done = ACTIONS.find((a) => a === req.query.done);
    send(res, runPage(req, run, done && ACTION_TEXT[done].done));
  });
  router.get('/runs/:runId/live', async (req, res) => send(res, runLive(req, await loadView(req))));

  const action = (req: Request): ConsoleAction => {
    const a = ACTIONS.find((x) => x === req.params.action);
    if (!a) throw new AppError('NOT_FOUND', 'no such action');
    return a;
  };
  router.get('/runs/:runId/:action', requireAdmin, async (req, res) => {
    send(res, confirmPage(req, await loadView(req), action(req)));
  });
  router.post('/runs/:runId/:action', form, requireCsrf, requireAdmin, async (req, res) => {
    const what = action(req);
    const run = await loadView(req);
    if ((req.body as Record<string, unknown> | undefined)?.confirm !== what)
      return res.redirect(303, paths.action(run.runId, what));
    if (!actionsFor(run.state).includes(what))
      throw new AppError('INVALID_STATE', `cannot ${ACTION_TEXT[what].label.toLowerCase()} a run that is ${run.state}`);
    await (what === 'retry' ? retryRun(deps, run.runId, req.actor) : startRollback(deps, run.runId, req.actor));
    deps.logger.info({ runId: run.runId, action: what, role: req.role }, 'console action');
    res.redirect(303, `${paths.run(run.runId)}?done=${what}`);
  });

  router.use((_req, _res, next) => next(new AppError('NOT_FOUND', 'no such page')));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, code, message } = classify(err);
    if (status >= 500) deps.logger.error({ err, path: req.path }, 'console request failed');
    if (res.headersSent) return;
    send(res, errorPage(req, status, code, message), status);
  });
  return router;
}
