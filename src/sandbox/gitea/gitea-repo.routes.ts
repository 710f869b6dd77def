import type { OperationDef, SandboxResponse } from '../framework/emulator.types.js';
import type { GiteaRepo, GiteaRepoStore, GitIdentity } from './gitea-repo.store.js';
import type { GiteaViews } from './gitea-views.mapper.js';

export interface GiteaContext {
  store: GiteaRepoStore;
  views: GiteaViews;
  /** The user the sandbox token belongs to; commits default to it. */
  doer: GitIdentity;
}

/** Gitea's error body: `{message, url}` (the swagger file describes them as headers; they are JSON). */
export const giteaError = (views: GiteaViews, status: number, message: string): SandboxResponse => ({
  status,
  body: { message, url: views.swaggerUrl },
});

const REPO_NAME = /^[-.\w]+$/;

/** Runs `then` with the repository named by `:owner/:repo`, or answers Gitea's 404. */
export function withRepo(ctx: GiteaContext, params: Record<string, string>, then: (r: GiteaRepo) => SandboxResponse) {
  const repo = ctx.store.get(params.owner ?? '', params.repo ?? '');
  return repo ? then(repo) : giteaError(ctx.views, 404, "The target couldn't be found.");
}

/** createOrgRepo, repoGet, repoDelete. */
export function repoOperations(ctx: GiteaContext): OperationDef[] {
  const { store, views } = ctx;
  return [
    {
      operationId: 'createOrgRepo',
      method: 'POST',
      path: '/api/v1/orgs/:org/repos',
      latencyMs: 250,
      handler: (req) => {
        const org = req.params.org ?? '';
        if (!store.hasOrg(org)) return giteaError(views, 404, `GetOrgByName: org does not exist [id: 0, name: ${org}]`);
        const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
        if (typeof body.name !== 'string' || body.name === '') return giteaError(views, 422, '[Name]: Required');
        if (!REPO_NAME.test(body.name) || body.name.length > 100 || body.name === '.' || body.name === '..') {
          return giteaError(views, 422, '[Name]: AlphaDashDotError');
        }
        if (store.get(org, body.name))
          return giteaError(views, 409, 'The repository with the same name already exists.');
        const repo = store.add({
          owner: org,
          name: body.name,
          description: typeof body.description === 'string' ? body.description : '',
          private: body.private === true,
          template: body.template === true,
          defaultBranch: typeof body.default_branch === 'string' && body.default_branch ? body.default_branch : 'main',
        });
        if (body.auto_init === true) {
          const readme = `# ${repo.name}\n\n${repo.description}`;
          store.writeFile(repo, 'README.md', Buffer.from(readme), {
            message: 'Initial commit',
            author: ctx.doer,
            committer: ctx.doer,
          });
        }
        return { status: 201, body: views.repository(repo) };
      },
    },
    {
      operationId: 'repoGet',
      method: 'GET',
      path: '/api/v1/repos/:owner/:repo',
      latencyMs: 60,
      handler: (req) => withRepo(ctx, req.params, (repo) => ({ status: 200, body: views.repository(repo) })),
    },
    {
      operationId: 'repoDelete',
      method: 'DELETE',
      path: '/api/v1/repos/:owner/:repo',
      latencyMs: 200,
      handler: (req) =>
        withRepo(ctx, req.params, (repo) => {
          store.remove(repo);
          return { status: 204 };
        }),
    },
  ];
}
