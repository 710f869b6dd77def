import type { EmulatorDeps, EmulatorFactory, OperationDef, ProviderEmulator } from '../framework/emulator.types.js';
import { SANDBOX_CREDENTIALS } from '../sandbox-credentials.js';
import { InstanceRateLimit } from '../framework/instance-rate-limit.js';
import { PROFILE_DELAYS } from '../sandbox-profiles.js';
import { N8nStore } from './n8n.state.js';
import { N8N_V1, N8N_V2, type N8nVersion } from './n8n.versions.js';
import { handleWebhook, registrations } from './n8n.webhooks.js';
import {
  activateWorkflow,
  createWorkflow,
  deactivateWorkflow,
  deleteWorkflow,
  getWorkflow,
  listWorkflows,
  type N8nContext,
} from './n8n.workflows.handlers.js';

/** What a running n8n answers to a body that is not JSON: Express's 500 page, in HTML. */
const ERROR_PAGE =
  '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Internal Server Error</pre>\n</body>\n</html>\n';

/** n8n 2.x (the default): the public API under `/n8n/api/v1`, with publish/unpublish, and production webhooks. */
export const createN8nEmulator: EmulatorFactory = (deps) => buildN8nEmulator(deps, N8N_V2);

/** n8n 1.x: the same API without publish/unpublish (the workflow id parameter is `{id}`). */
export const createN8nV1Emulator: EmulatorFactory = (deps) => buildN8nEmulator(deps, N8N_V1);

function buildN8nEmulator(deps: EmulatorDeps, version: N8nVersion): ProviderEmulator {
  const store = new N8nStore(deps.world, () => deps.runtime.now());
  const ctx: N8nContext = { store, version, runtime: deps.runtime };
  const one = `/api/v1/workflows/:${version.idParam}`;
  /** Activation registers the webhooks: the profile says how long it takes. */
  const activation = PROFILE_DELAYS[deps.runtime.profile].n8nActivation;
  const operations: OperationDef[] = [
    {
      operationId: 'getWorkflows',
      method: 'GET',
      path: '/api/v1/workflows',
      latencyMs: 60,
      handler: (r) => listWorkflows(ctx, r),
    },
    {
      operationId: 'createWorkflow',
      method: 'POST',
      path: '/api/v1/workflows',
      latencyMs: 120,
      handler: (r) => createWorkflow(ctx, r),
    },
    { operationId: 'getWorkflow', method: 'GET', path: one, latencyMs: 50, handler: (r) => getWorkflow(ctx, r) },
    {
      operationId: 'deleteWorkflow',
      method: 'DELETE',
      path: one,
      latencyMs: 100,
      handler: (r) => deleteWorkflow(ctx, r),
    },
    {
      operationId: 'activateWorkflow',
      method: 'POST',
      path: `${one}/activate`,
      latencyMs: activation,
      handler: (r) => activateWorkflow(ctx, r),
    },
    {
      operationId: 'deactivateWorkflow',
      method: 'POST',
      path: `${one}/deactivate`,
      latencyMs: 120,
      handler: (r) => deactivateWorkflow(ctx, r),
    },
    ...(version.publish
      ? ([
          {
            operationId: 'publishWorkflow',
            method: 'POST',
            path: `${one}/publish`,
            latencyMs: activation,
            handler: (r) => activateWorkflow(ctx, r),
          },
          {
            operationId: 'unpublishWorkflow',
            method: 'POST',
            path: `${one}/unpublish`,
            latencyMs: 120,
            handler: (r) => deactivateWorkflow(ctx, r),
          },
        ] satisfies OperationDef[])
      : []),
    {
      operationId: 'webhook',
      method: 'POST',
      path: '/webhook/*path',
      latencyMs: 80,
      public: true,
      handler: (r) => handleWebhook(store, r),
    },
  ];

  const limits = new InstanceRateLimit(
    deps.runtime,
    deps.runtime.limits.n8n.requests,
    (status, message) => ({ status, body: { message } }),
    new Set(['webhook']),
  );

  return {
    name: 'n8n',
    prefix: '/n8n',
    operations,

    /** `X-N8N-API-KEY` only; `Authorization: Bearer` is not accepted. */
    authenticate(req) {
      const key = req.headers['x-n8n-api-key'];
      if (key === undefined) return { status: 401, body: { message: "'X-N8N-API-KEY' header required" } };
      return key === SANDBOX_CREDENTIALS.n8n ? undefined : { status: 401, body: { message: 'unauthorized' } };
    },

    errorResponse: (status, message) => ({ status, body: { message } }),

    rateLimit: (_req, operationId) => limits.check(operationId),

    malformedBody: () => ({ status: 500, body: ERROR_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } }),

    state() {
      return {
        version: version.major,
        workflows: store.all().map((w) => ({
          id: w.id,
          name: w.name,
          active: w.active,
          webhookPaths: registrations(w).map((r) => r.path),
        })),
      };
    },

    async reset() {
      store.reset();
      limits.clear();
    },
  };
}
