import type { SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { deploymentView } from './vercel.deployment.presenter.js';
import { badRequest, projectNotFound, vercelError } from './vercel.errors.js';
import { bodyObject, newProject, validateProjectName, type VercelContext } from './vercel.projects.handlers.js';
import { randomId, type Deployment, type Project } from './vercel.state.js';

const GIT_TYPES = ['github', 'github-limited', 'gitlab', 'bitbucket'];

function checkGitSource(g: Record<string, unknown>): SandboxResponse | undefined {
  if (typeof g.type !== 'string' || !GIT_TYPES.includes(g.type)) {
    return badRequest(
      'Invalid request: `gitSource.type` should be equal to one of the allowed values "github", "github-limited", "gitlab", "bitbucket".',
    );
  }
  if (typeof g.ref !== 'string' || g.ref === '')
    return badRequest('Invalid request: `gitSource` missing required property `ref`.');
  const byId = g.repoId !== undefined || g.projectId !== undefined || g.repoUuid !== undefined;
  const byName =
    (typeof g.org === 'string' && typeof g.repo === 'string') ||
    (typeof g.owner === 'string' && typeof g.slug === 'string');
  if (!byId && !byName)
    return badRequest('Invalid request: `gitSource` should name the repository (`repoId`, or `org` and `repo`).');
  return undefined;
}

function metaOf(body: Record<string, unknown>, git: Record<string, unknown> | undefined): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(bodyObject(body.meta) ?? {})) if (typeof v === 'string') meta[k] = v;
  if (git?.type === 'github' || git?.type === 'github-limited') {
    if (typeof git.org === 'string') meta.githubOrg = meta.githubCommitOrg = git.org;
    if (typeof git.repo === 'string') meta.githubRepo = meta.githubCommitRepo = git.repo;
    if (typeof git.ref === 'string') meta.githubCommitRef = git.ref;
    if (typeof git.sha === 'string') meta.githubCommitSha = git.sha;
  }
  return meta;
}

/** The project a deployment goes to: `project` (must exist) or `name` (created when new, as Vercel does). */
function projectFor(ctx: VercelContext, req: SandboxRequest, body: Record<string, unknown>): Project | SandboxResponse {
  if (body.project !== undefined) {
    return (typeof body.project === 'string' && ctx.store.findProject(body.project)) || projectNotFound();
  }
  const existing = ctx.store.findProject(body.name as string);
  if (existing) return existing;
  return validateProjectName(body.name) ?? newProject(ctx, body.name as string, req, null);
}

/**
 * `createDeployment`: 200 with `readyState: QUEUED`, then BUILDING, then READY (or ERROR on a
 * `deployment-error` fault) after the profile's build time, the first quarter of it QUEUED.
 */
export function createDeployment(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const body = bodyObject(req.body);
  if (!body) return badRequest('Invalid request: should be object.');
  if (body.name === undefined) return badRequest('Invalid request: missing required property `name`.');
  if (typeof body.name !== 'string') return badRequest('Invalid request: `name` should be string.');
  const git = bodyObject(body.gitSource);
  if (body.gitSource !== undefined && !git) return badRequest('Invalid request: `gitSource` should be object.');
  if (git) {
    const bad = checkGitSource(git);
    if (bad) return bad;
  } else if (!Array.isArray(body.files)) {
    return badRequest('Invalid request: should have required property `files` or `gitSource`.');
  }
  const target = body.target;
  if (target !== undefined && target !== 'production' && target !== 'staging') {
    return vercelError(400, 'bad_request', `Could not find custom environment ${JSON.stringify(target)}.`);
  }
  const project = projectFor(ctx, req, body);
  if ('status' in project) return project;

  const now = ctx.runtime.now();
  const build = ctx.runtime.delay('vercelBuild');
  const deployment: Deployment = {
    id: `dpl_${randomId(28)}`,
    name: project.name,
    projectId: project.id,
    url: `${project.name}-${randomId(9, 'abcdefghijklmnopqrstuvwxyz0123456789')}-sandbox.vercel.app`,
    target: target ?? null,
    createdAt: now,
    buildingAt: now + Math.round(build / 4),
    doneAt: now + build,
    fails: ctx.runtime.takeFault('vercel', 'createDeployment', 'deployment-error'),
    ...(git ? { gitSource: git } : {}),
    meta: metaOf(body, git),
  };
  ctx.store.deployments.set(deployment.id, deployment);
  return { status: 200, body: deploymentView(deployment, project.accountId, project.framework, now) };
}

/** `getDeployment`: by id or by URL; 404 `not_found` otherwise. */
export function getDeployment(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const d = ctx.store.findDeployment(req.params.idOrUrl ?? '');
  if (!d) return vercelError(404, 'not_found', 'The deployment could not be found.');
  const project = ctx.store.projects.get(d.projectId);
  return {
    status: 200,
    body: deploymentView(d, project?.accountId ?? '', project?.framework ?? null, ctx.runtime.now()),
  };
}
