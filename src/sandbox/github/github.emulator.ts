import type {
  EmulatorDeps,
  EmulatorFactory,
  ProviderEmulator,
  SandboxRequest,
  SandboxResponse,
} from '../framework/emulator.types.js';
import { getContent, putContent } from './github.contents.handlers.js';
import { basicError } from './github.errors.js';
import { GithubRateLimits } from './github.rate-limits.js';
import { createInOrg, createUsingTemplate, deleteRepo, getRepo, type GithubContext } from './github.repos.handlers.js';
import { GithubStore } from './github.state.js';
import { SANDBOX_USER, presentedToken, tokenScopes } from './github.tokens.js';

export { GITHUB_TOKEN_NO_DELETE } from './github.tokens.js';

/** The operations that create content and count against GitHub's secondary limit. */
const CONTENT_CREATING = new Set([
  'repos/create-using-template',
  'repos/create-in-org',
  'repos/create-or-update-file-contents',
]);
const PRIMARY_LIMIT = 5000;
const RATE_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

export interface GithubEmulatorOptions {
  /** Requests per token per (scaled) hour; GitHub's is 5000 for a personal token. */
  primaryLimit?: number;
}

/** A GitHub emulator with options (the default factory uses GitHub's own numbers). */
export function githubEmulator(options: GithubEmulatorOptions = {}): EmulatorFactory {
  return (deps) => buildGithubEmulator(deps, options);
}

/** GitHub REST under `/github`: template generation, org repos, repository get/delete, contents. */
export const createGithubEmulator: EmulatorFactory = (deps) => buildGithubEmulator(deps, {});

function buildGithubEmulator(deps: EmulatorDeps, options: GithubEmulatorOptions): ProviderEmulator {
  const { runtime } = deps;
  const store = new GithubStore(() => runtime.now());
  const limits = new GithubRateLimits(runtime, options.primaryLimit ?? PRIMARY_LIMIT);
  const ctx: GithubContext = { store, runtime, apiBase: `${deps.publicUrl}/github` };
  /** The token a request is counted against: its own when known, else the anonymous pool. */
  const knownToken = (req: SandboxRequest): string | undefined => {
    const token = presentedToken(req);
    return tokenScopes(token) ? token : undefined;
  };

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
      const token = knownToken(req);
      const s = limits.count(token);
      return {
        'x-ratelimit-limit': String(s.limit),
        'x-ratelimit-remaining': String(s.remaining),
        'x-ratelimit-used': String(s.used),
        'x-ratelimit-reset': String(s.reset),
        'x-ratelimit-resource': 'core',
        'x-github-api-version-selected': '2022-11-28',
        'x-github-media-type': 'github.v3; format=json',
        ...(token ? { 'x-oauth-scopes': tokenScopes(token)!.join(', ') } : {}),
      };
    },

    rateLimit(req, operationId): SandboxResponse | undefined {
      if (!runtime.rateLimits) return undefined;
      const token = knownToken(req);
      if (!token) return undefined;
      if (limits.isExhausted(token)) {
        return basicError(
          403,
          `API rate limit exceeded for user ID ${SANDBOX_USER.id}. If you reach out to GitHub Support for help, please include the request ID sandbox.`,
          undefined,
          `${RATE_DOCS}#about-primary-rate-limits`,
        );
      }
      if (!CONTENT_CREATING.has(operationId)) return undefined;
      const wait = limits.takeContent(token);
      if (wait === undefined) return undefined;
      return basicError(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID sandbox.',
        { 'retry-after': String(wait) },
        `${RATE_DOCS}#about-secondary-rate-limits`,
      );
    },

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
}
