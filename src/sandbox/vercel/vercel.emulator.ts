import type { EmulatorFactory, SandboxRequest } from '../framework/emulator.types.js';
import { SANDBOX_CREDENTIALS } from '../sandbox-credentials.js';
import { createDeployment, getDeployment } from './vercel.deployments.handlers.js';
import { createProjectEnv } from './vercel.env.handlers.js';
import { errorFor, vercelError } from './vercel.errors.js';
import { createProject, deleteProject, getProject, type VercelContext } from './vercel.projects.handlers.js';
import { VercelRateLimits } from './vercel.rate-limits.js';
import { VercelStore, readyState } from './vercel.state.js';

const bearer = (req: SandboxRequest): string | undefined => {
  const header = req.headers.authorization;
  return typeof header === 'string' ? /^bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
};

/** Vercel REST under `/vercel`: projects, env vars and deployments (built in the profile's build time). */
export const createVercelEmulator: EmulatorFactory = (deps) => {
  const { runtime } = deps;
  const store = new VercelStore(deps.world);
  const limits = new VercelRateLimits(runtime, (req) => bearer(req) === SANDBOX_CREDENTIALS.vercel);
  const ctx: VercelContext = { store, runtime };

  return {
    name: 'vercel',
    prefix: '/vercel',
    operations: [
      {
        operationId: 'createProject',
        method: 'POST',
        path: '/v11/projects',
        latencyMs: 450,
        handler: (r) => createProject(ctx, r),
      },
      {
        operationId: 'getProject',
        method: 'GET',
        path: '/v9/projects/:idOrName',
        latencyMs: 120,
        handler: (r) => getProject(ctx, r),
      },
      {
        operationId: 'deleteProject',
        method: 'DELETE',
        path: '/v9/projects/:idOrName',
        latencyMs: 350,
        handler: (r) => deleteProject(ctx, r),
      },
      {
        operationId: 'createProjectEnv',
        method: 'POST',
        path: '/v10/projects/:idOrName/env',
        latencyMs: 250,
        handler: (r) => createProjectEnv(ctx, r),
      },
      {
        operationId: 'createDeployment',
        method: 'POST',
        path: '/v13/deployments',
        latencyMs: 600,
        handler: (r) => createDeployment(ctx, r),
      },
      {
        operationId: 'getDeployment',
        method: 'GET',
        path: '/v13/deployments/:idOrUrl',
        latencyMs: 120,
        handler: (r) => getDeployment(ctx, r),
      },
    ],

    /** Vercel answers 403 (not 401) both to a missing token and to a wrong one. */
    authenticate(req) {
      const token = bearer(req);
      if (token === undefined) {
        return vercelError(403, 'forbidden', 'The request is missing an authentication token', { missingToken: true });
      }
      return token === SANDBOX_CREDENTIALS.vercel
        ? undefined
        : vercelError(403, 'forbidden', 'Not authorized', { invalidToken: true });
    },

    errorResponse: errorFor,

    rateLimit: (req, operationId) => limits.check(req, operationId),

    /** No env var value ever appears here. */
    state() {
      const now = runtime.now();
      return {
        projects: store.projects.values().map((p) => ({
          id: p.id,
          name: p.name,
          link: p.link ? { type: p.link.type, repo: `${p.link.org}/${p.link.repo}`, repoId: p.link.repoId } : null,
          env: p.env.map((v) => ({ key: v.key, type: v.type, target: v.target })),
        })),
        deployments: store.deployments.values().map((d) => ({
          id: d.id,
          projectId: d.projectId,
          readyState: readyState(d, now),
          target: d.target,
          url: d.url,
        })),
      };
    },

    async reset() {
      store.reset();
      limits.reset();
    },
  };
};
