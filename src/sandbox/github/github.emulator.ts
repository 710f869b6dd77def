import type { EmulatorFactory } from '../framework/emulator.types.js';
import { getContent, putContent } from './github.contents.handlers.js';
import { basicError } from './github.errors.js';
import { GithubRateLimits } from './github.rate-limits.js';
import { createInOrg, createUsingTemplate, deleteRepo, getRepo, type GithubContext } from './github.repos.handlers.js';
import { GithubStore } from './github.state.js';
import { presentedToken, tokenScopes } from './github.tokens.js';

export { GITHUB_TOKEN_NO_DELETE } from './github.tokens.js';

/**
 * GitHub REST under `/github`: template generation, org repos, repository get/delete, contents.
 * A generated repository becomes usable after the profile's generation time.
 */
export const createGithubEmulator: EmulatorFactory = (deps) => {
  const { runtime } = deps;
  const store = new GithubStore(deps.world, () => runtime.now());
  const limits = new GithubRateLimits(runtime);
  const ctx: GithubContext = { store, runtime, apiBase: `${deps.publicUrl}/github` };

  return {
    name: 'github',
    prefix: '/github',
    operations: [
      {
        operationId: 'repos/create-using-template',
        method: 'POST',
        path: '/repos/:template_owner/:template_repo/generate',
        latencyMs: 900,
        handler: (r) => createUsingTemplate(ctx, r),
      },
      {
        operationId: 'repos/create-in-org',
        method: 'POST',
        path: '/orgs/:org/repos',
        latencyMs: 700,
        handler: (r) => createInOrg(ctx, r),
      },
      {
        operationId: 'repos/get',
        method: 'GET',
        path: '/repos/:owner/:repo',
        latencyMs: 120,
        handler: (r) => getRepo(ctx, r),
      },
      {
        operationId: 'repos/delete',
        method: 'DELETE',
        path: '/repos/:owner/:repo',
        latencyMs: 400,
        handler: (r) => deleteRepo(ctx, r),
      },
      {
        operationId: 'repos/get-content',
        method: 'GET',
        path: '/repos/:owner/:repo/contents/*path',
        latencyMs: 150,
        handler: (r) => getContent(ctx, r),
      },
      {
        operationId: 'repos/create-or-update-file-contents',
        method: 'PUT',
        path: '/repos/:owner/:repo/contents/*path',
        latencyMs: 500,
        handler: (r) => putContent(ctx, r),
      },
    ],

    authenticate(req) {
      const token = presentedToken(req);
      if (token === undefined) return basicError(401, 'Requires authentication');
      return tokenScopes(token) ? undefined : basicError(401, 'Bad credentials');
    },

    errorResponse: (status, message) => basicError(status, message),

    commonHeaders(req) {
      const scopes = tokenScopes(presentedToken(req));
      return {
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        ...(scopes ? { 'x-oauth-scopes': scopes.join(', ') } : {}),
      };
    },

    rateLimit: (req, operationId) => limits.check(req, operationId),

    state() {
      const view = (r: ReturnType<typeof store.all>[number]) => ({
        name: r.name,
        full_name: `${r.owner.login}/${r.name}`,
        private: r.private,
        is_template: r.isTemplate,
        ready: store.isReady(r),
        files: [...r.files.keys()].sort(),
      });
      const all = store.all();
      return {
        repos: all.filter((r) => !r.isTemplate).map(view),
        templates: all.filter((r) => r.isTemplate).map(view),
      };
    },

    async reset() {
      store.reset();
      limits.reset();
    },
  };
};
