import type { EmulatorDeps, ProviderEmulator, SandboxRequest } from '../framework/emulator.types.js';
import { InstanceRateLimit } from '../framework/instance-rate-limit.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../sandbox-credentials.js';
import { contentsOperations } from './gitea-contents.routes.js';
import { GiteaRepoStore } from './gitea-repo.store.js';
import { giteaError, repoOperations, type GiteaContext } from './gitea-repo.routes.js';
import { GiteaViews } from './gitea-views.mapper.js';

const [BACKUP_OWNER = 'ops-hub', BACKUP_NAME = 'client-backups'] = SANDBOX_DEFAULTS.giteaBackupRepo.split('/');
const DOER = { name: 'sandbox-admin', email: 'sandbox-admin@gitea.sandbox.local' };

/** The token of `Authorization: token <t>` (the documented form) or `Bearer <t>`. */
function headerToken(req: SandboxRequest): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Gitea's API v1 (`/gitea/api/v1/...`): org repositories and file contents on the default branch.
 * The org `ops-hub` and the backup repo `ops-hub/client-backups` exist from the start and after reset.
 */
export function createGiteaEmulator(deps: EmulatorDeps): ProviderEmulator {
  const { runtime } = deps;
  const views = new GiteaViews(`${deps.publicUrl}/gitea`);
  const store = new GiteaRepoStore(deps.world, new Set([BACKUP_OWNER.toLowerCase()]), () => runtime.now());
  const ctx: GiteaContext = { store, views, doer: DOER };
  const seed = () => {
    store.clear();
    store.add({
      owner: BACKUP_OWNER,
      name: BACKUP_NAME,
      description: 'n8n workflow backups, one folder per client',
      private: true,
      template: false,
      defaultBranch: 'main',
    });
  };
  seed();
  const limits = new InstanceRateLimit(runtime, runtime.limits.gitea.requests, (status, message) =>
    giteaError(views, status, message),
  );

  return {
    name: 'gitea',
    prefix: '/gitea',
    operations: [...repoOperations(ctx), ...contentsOperations(ctx)],
    authenticate(req) {
      if (req.headers.authorization === undefined) return giteaError(views, 401, 'token is required');
      return headerToken(req) === SANDBOX_CREDENTIALS.gitea
        ? undefined
        : giteaError(views, 401, 'user does not exist [uid: 0, name: ]');
    },
    errorResponse: (status, message) => giteaError(views, status, message),
    rateLimit: (_req, operationId) => limits.check(operationId),
    malformedBody: () => giteaError(views, 422, '[]: DeserializationError'),
    state: () => ({
      repos: store
        .list()
        .map((r) => ({ owner: r.owner, name: r.name, full_name: `${r.owner}/${r.name}`, private: r.private })),
      files: store
        .list()
        .flatMap((r) => [...r.files.values()].map((f) => ({ repo: `${r.owner}/${r.name}`, path: f.path, sha: f.sha }))),
    }),
    async reset() {
      seed();
      limits.clear();
    },
  };
}
