import { Router, type Request } from 'express';
import { AppError } from '../shared/errors.js';
import { clientKey } from '../shared/names.js';
import { retryRun, startRollback, startRun, type RunCommandDeps } from '../runs/run-commands.js';
import { viewRun } from '../runs/run-view.js';
import type { OutboundPolicy } from '../shared/outbound.js';
import { provisionRequestSchema, type ProvisionRequest } from '../shared/provision-request.js';
import type { Accepted, ActionAccepted, RunList } from './api.schemas.js';
import { requireAdmin } from './auth.js';
import { listQuery, runIdParam } from './provisioning.schema.js';

export interface ProvisioningRoutesDeps extends RunCommandDeps {
  allowLoopbackCallbacks: boolean;
  /** Where a `callbackUrl` may point (resolved when the request is accepted). */
  callbacks?: OutboundPolicy;
}

/** Thin routes: parse, call one command, answer. Nothing here talks to a provider. */
export function provisioningRoutes(deps: ProvisioningRoutesDeps): Router {
  const router = Router();
  const body = provisionRequestSchema({
    allowLoopbackHttp: deps.allowLoopbackCallbacks,
    ...(deps.callbacks ? { callbacks: deps.callbacks } : {}),
  });
  const statusUrl = (req: Request, runId: string) => `${req.baseUrl}/${runId}`;

  router.post('/', requireAdmin, async (req, res) => {
    const request: ProvisionRequest = await body.parseAsync(req.body ?? {});
    const result = await startRun(deps, request, req.actor);
    if (result.kind === 'provisioned') {
      throw new AppError('CLIENT_ALREADY_PROVISIONED', `client ${request.clientId} is already provisioned`, {
        details: { runId: result.runId },
      });
    }
    if (result.kind === 'needs_attention') {
      throw new AppError(
        'CLIENT_NEEDS_ATTENTION',
        `client ${request.clientId} has a run whose rollback failed; retry its rollback first`,
        {
          details: { runId: result.runId },
        },
      );
    }
    res
      .status(202)
      .location(statusUrl(req, result.runId))
      .json({
        runId: result.runId,
        statusUrl: statusUrl(req, result.runId),
        existing: result.kind === 'in_flight',
      } satisfies Accepted);
  });

  router.get('/', async (req, res) => {
    const q = listQuery.parse(req.query);
    const runs = await deps.store.list(q.clientId === undefined ? undefined : clientKey(q.clientId), q.limit);
    res.json({ runs: await Promise.all(runs.map((r) => viewRun(deps.queues, r))) } satisfies RunList);
  });

  router.get('/:runId', async (req, res) => {
    const run = await loadRun(deps, String(req.params.runId));
    res.json(await viewRun(deps.queues, run));
  });

  router.post('/:runId/retry', requireAdmin, async (req, res) => {
    const run = await retryRun(deps, (await loadRun(deps, String(req.params.runId))).runId, req.actor);
    res
      .status(202)
      .json({ runId: run.runId, state: run.state, statusUrl: statusUrl(req, run.runId) } satisfies ActionAccepted);
  });

  router.post('/:runId/rollback', requireAdmin, async (req, res) => {
    const run = await startRollback(deps, (await loadRun(deps, String(req.params.runId))).runId, req.actor);
    res
      .status(202)
      .json({ runId: run.runId, state: run.state, statusUrl: statusUrl(req, run.runId) } satisfies ActionAccepted);
  });

  return router;
}

async function loadRun(deps: RunCommandDeps, runId: string) {
  const run = runIdParam.safeParse(runId).success ? await deps.store.get(runId) : undefined;
  if (!run) throw new AppError('NOT_FOUND', `no run ${runId.slice(0, 64)}`);
  return run;
}
