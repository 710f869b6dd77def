import type { EmulatorRuntime, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { badRequest, projectNotFound, vercelError } from './vercel.errors.js';
import { SANDBOX_ACCOUNT_ID, projectView } from './vercel.project.presenter.js';
import { randomId, type GitLink, type Project, type VercelStore } from './vercel.state.js';

export interface VercelContext {
  store: VercelStore;
  runtime: EmulatorRuntime;
}

const GIT_TYPES = ['github', 'github-limited', 'gitlab', 'bitbucket'];
/** Vercel's own rule: ≤100 lowercase letters, digits, `.`, `_`, `-`, and never `---`. */
const NAME_RULE = /^[a-z0-9._-]{1,100}$/;

/** A stable numeric id for a repository name (the sandbox does not ask the GitHub emulator). */
const repoIdOf = (fullName: string): number =>
  [...fullName].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 900_000_000, 7) + 100_000_000;

const viewOf = (ctx: VercelContext, p: Project): Record<string, unknown> =>
  projectView(p, ctx.store.deploymentsOf(p.id), ctx.runtime.now());

export const bodyObject = (b: unknown): Record<string, unknown> | undefined =>
  b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;

export function validateProjectName(name: unknown): SandboxResponse | undefined {
  if (name === undefined) return badRequest('Invalid request: missing required property `name`.');
  if (typeof name !== 'string') return badRequest('Invalid request: `name` should be string.');
  if (name.length > 100) return badRequest('Invalid request: `name` should NOT be longer than 100 characters.');
  if (!NAME_RULE.test(name) || name.includes('---')) {
    return badRequest(
      "Project names can be up to 100 characters long and must be lowercase. They can include letters, digits, and the following characters: '.', '_', '-'. However, they cannot contain the sequence '---'.",
    );
  }
  return undefined;
}

function linkOf(git: unknown, now: number): GitLink | SandboxResponse | undefined {
  if (git === undefined) return undefined;
  const g = bodyObject(git);
  if (!g) return badRequest('Invalid request: `gitRepository` should be object.');
  if (typeof g.type !== 'string' || !GIT_TYPES.includes(g.type)) {
    return badRequest(
      'Invalid request: `gitRepository.type` should be equal to one of the allowed values "github", "github-limited", "gitlab", "bitbucket".',
    );
  }
  const [org, repo, ...rest] = typeof g.repo === 'string' ? g.repo.split('/') : [];
  if (!org || !repo || rest.length > 0)
    return badRequest('Invalid request: `gitRepository.repo` should be "owner/name".');
  return { type: g.type, org, repo, repoId: repoIdOf(`${org}/${repo}`), createdAt: now };
}

/** `createProject`: 200 (not 201); 409 when the name is taken. */
export function createProject(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const body = bodyObject(req.body);
  if (!body) return badRequest('Invalid request: should be object.');
  const invalid = validateProjectName(body.name);
  if (invalid) return invalid;
  const name = body.name as string;
  const now = ctx.runtime.now();
  const link = linkOf(body.gitRepository, now);
  if (link && 'status' in link) return link;
  if (ctx.store.findProject(name))
    return vercelError(409, 'conflict', 'A project with the provided name already exists.');
  const project = newProject(ctx, name, req, typeof body.framework === 'string' ? body.framework : null, link);
  return { status: 200, body: viewOf(ctx, project) };
}

export function newProject(
  ctx: VercelContext,
  name: string,
  req: SandboxRequest,
  framework: string | null,
  link?: GitLink,
): Project {
  const now = ctx.runtime.now();
  const project: Project = {
    id: `prj_${randomId(28)}`,
    name,
    accountId: req.query.teamId ?? SANDBOX_ACCOUNT_ID,
    framework,
    ...(link ? { link } : {}),
    env: [],
    createdAt: now,
    updatedAt: now,
  };
  ctx.store.projects.set(project.id, project);
  return project;
}

/** `getProject`: 200 by id or by name; 404 `not_found` otherwise. */
export function getProject(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const project = ctx.store.findProject(req.params.idOrName ?? '');
  return project ? { status: 200, body: viewOf(ctx, project) } : projectNotFound();
}

/** `deleteProject`: 204 (with its deployments); 404 when unknown. */
export function deleteProject(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const project = ctx.store.findProject(req.params.idOrName ?? '');
  if (!project) return projectNotFound();
  ctx.store.deleteProject(project);
  return { status: 204 };
}
