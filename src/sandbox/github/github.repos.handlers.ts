import type { EmulatorRuntime, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { basicError, invalidRequest, nameTaken, notFound, validationError } from './github.errors.js';
import { fullRepository } from './github.repository.presenter.js';
import { fileOf, type Account, type GithubStore, type Repo } from './github.state.js';
import { SANDBOX_USER, presentedToken, tokenScopes } from './github.tokens.js';

export interface GithubContext {
  store: GithubStore;
  runtime: EmulatorRuntime;
  /** Base of the API URLs handed out, e.g. http://127.0.0.1:4010/github. */
  apiBase: string;
}

type Body = Record<string, unknown>;
const asBody = (b: unknown): Body => (b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
/** GitHub replaces characters it does not allow in a name with `-`. */
const normaliseName = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '-');

function created(ctx: GithubContext, repo: Repo): SandboxResponse {
  return {
    status: 201,
    body: fullRepository(repo, ctx.apiBase),
    headers: { location: `${ctx.apiBase}/repos/${repo.owner.login}/${repo.name}` },
  };
}

function nameOf(body: Body): string | SandboxResponse {
  const name = str(body.name)?.trim();
  if (!name) return invalidRequest('"name" wasn\'t supplied.');
  return normaliseName(name);
}

/** `repos/create-using-template`: 201, then 404/409 on the new repository until the copy is done. */
export function createUsingTemplate(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const body = asBody(req.body);
  const template = ctx.store.find(req.params.template_owner ?? '', req.params.template_repo ?? '');
  if (!template) return notFound();
  if (!template.isTemplate) {
    return validationError('Validation Failed', [
      { resource: 'Repository', code: 'custom', field: 'template_repo', message: 'repository is not a template' },
    ]);
  }
  const name = nameOf(body);
  if (typeof name !== 'string') return name;
  const owner: Account | undefined = ctx.store.account(str(body.owner) ?? SANDBOX_USER.login);
  if (!owner) {
    return validationError('Validation Failed', [{ resource: 'Repository', code: 'invalid', field: 'owner' }]);
  }
  if (ctx.store.find(owner.login, name)) return nameTaken();
  const files = new Map([...template.files].map(([path, f]) => [path, { ...f }]));
  const repo = ctx.store.add({
    owner,
    name,
    private: bool(body.private, false),
    isTemplate: false,
    description: str(body.description) ?? null,
    homepage: null,
    readyAt: ctx.runtime.now() + ctx.runtime.delay('githubGeneration'),
    template,
    files,
  });
  return created(ctx, repo);
}

/** `repos/create-in-org`: 201, usable at once (empty unless `auto_init`). */
export function createInOrg(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const body = asBody(req.body);
  const org = ctx.store.account(req.params.org ?? '');
  if (!org || org.type !== 'Organization') return notFound();
  const name = nameOf(body);
  if (typeof name !== 'string') return name;
  if (ctx.store.find(org.login, name)) return nameTaken();
  const visibility = str(body.visibility);
  const description = str(body.description) ?? null;
  const repo = ctx.store.add({
    owner: org,
    name,
    private: visibility ? visibility !== 'public' : bool(body.private, false),
    isTemplate: bool(body.is_template, false),
    description,
    homepage: str(body.homepage) ?? null,
    hasIssues: bool(body.has_issues, true),
    hasProjects: bool(body.has_projects, true),
    hasWiki: bool(body.has_wiki, true),
    readyAt: 0,
  });
  if (body.auto_init === true) {
    ctx.store.write(repo, 'README.md', fileOf(`# ${name}\n${description ? `\n${description}\n` : ''}`).content);
  }
  return created(ctx, repo);
}

/** `repos/get`: 404 for an unknown repository, and for a generated one that is not ready yet. */
export function getRepo(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const repo = ctx.store.find(req.params.owner ?? '', req.params.repo ?? '');
  if (!repo || !ctx.store.isReady(repo)) return notFound();
  return { status: 200, body: fullRepository(repo, ctx.apiBase) };
}

/** `repos/delete`: 204; 404 when absent; 403 when the token lacks `delete_repo`. */
export function deleteRepo(ctx: GithubContext, req: SandboxRequest): SandboxResponse {
  const repo = ctx.store.find(req.params.owner ?? '', req.params.repo ?? '');
  if (!repo) return notFound();
  if (!tokenScopes(presentedToken(req))?.includes('delete_repo')) {
    return basicError(403, 'Must have admin rights to Repository.');
  }
  ctx.store.remove(repo);
  return { status: 204 };
}
