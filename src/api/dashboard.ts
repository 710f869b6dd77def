import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, Request, Response, NextFunction } from 'express';
import { AppError } from '../shared/errors.js';
import type { Queues } from '../runs/queues.js';

export const DASHBOARD_PATH = '/admin/queues';

/** Sealed secrets are ciphertext, but the dashboard has no use for them: show that they exist. */
export function redactSealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSealed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) =>
        k === 'sealed' && v && typeof v === 'object'
          ? [k, Object.fromEntries(Object.keys(v).map((n) => [n, '[sealed]']))]
          : [k, redactSealed(v)],
      ),
    );
  }
  return value;
}

function board(queues: Queues, readOnlyMode: boolean): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  const adapters = [queues.provision, queues.rollback].map((q) => {
    const a = new BullMQAdapter(q, { readOnlyMode, allowRetries: !readOnlyMode });
    a.setFormatter('data', redactSealed);
    a.setFormatter('returnValue', redactSealed);
    return a;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: readOnlyMode ? 'Provisioning (read only)' : 'Provisioning' } },
  });
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by'); // Bull Board's own express app would announce itself
  return router;
}

/**
 * Bull Board for both roles: admins get a board that can act (retry, promote…),
 * viewers one in read-only mode, which the server enforces (405 on every write, also
 * on those Bull Board's read-only mode lets through).
 * Mounted behind the auth middleware on the route itself.
 */
export function dashboard(queues: Queues) {
  const admin = board(queues, false);
  const viewer = board(queues, true);
  return (req: Request, res: Response, next: NextFunction) => {
    // Bull Board's read-only mode leaves some actions open (pausing every queue, for one): a
    // viewer's dashboard answers reads only.
    if (req.role !== 'admin' && !['GET', 'HEAD'].includes(req.method))
      return next(new AppError('READ_ONLY', 'the dashboard is read-only for viewers'));
    return (req.role === 'admin' ? admin : viewer)(req, res, next);
  };
}
