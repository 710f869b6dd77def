import { deleteOrGone } from '../delete-or-gone.js';
import type { ProjectEnvInput, VercelDeployment, VercelProject } from '../../providers/vercel.client.js';
import { AppError, isAppError } from '../../shared/errors.js';
import { enabledModules } from '../templates/client-modules.js';
import type { CompensationContext, StepContext, StepDefinition } from '../step.types.js';
import { waitFor } from '../wait.js';

/**
 * `vercel`: the project `client-{id}-app` linked to the client's repo, its env vars
 * (upserted, so re-runs are harmless; env changes apply to the next deployment, so they
 * are set first), and one production deployment awaited until READY. Undone by deleting
 * the project, which takes its deployments with it.
 */
const DEPLOY_POLLS = 150;
const ALL_TARGETS: ProjectEnvInput['target'] = ['production', 'preview', 'development'];

export const vercelStep: StepDefinition = {
  name: 'vercel',
  execute: createProject,
  compensate: deleteProject,
};

async function createProject(ctx: StepContext) {
  const { vercel } = ctx.clients;
  const name = ctx.names.vercelProject;
  const gh = await ctx.input('github');
  const sb = await ctx.input('supabase');
  const org = String(gh.resources.owner);
  const repo = String(gh.resources.name);

  let project = await vercel.getProject(name, ctx.signal);
  let created = !project;
  if (!project) project = await createOrFind(ctx, name, `${org}/${repo}`);
  await ctx.record({ resources: { projectId: project.id, name } });

  const vars: ProjectEnvInput[] = [
    { key: 'NEXT_PUBLIC_SUPABASE_URL', value: String(sb.resources.apiUrl), type: 'plain', target: ALL_TARGETS },
    { key: 'NEXT_PUBLIC_SUPABASE_ANON_KEY', value: sb.secret('anonKey'), type: 'encrypted', target: ALL_TARGETS },
    // Vercel keeps sensitive variables out of the development target.
    {
      key: 'SUPABASE_SERVICE_ROLE_KEY',
      value: sb.secret('serviceRoleKey'),
      type: 'sensitive',
      target: ['production', 'preview'],
    },
    { key: 'NEXT_PUBLIC_APP_URL', value: `https://${name}.vercel.app`, type: 'plain', target: ALL_TARGETS },
    { key: 'CLIENT_ID', value: ctx.names.clientKey, type: 'plain', target: ALL_TARGETS },
    { key: 'ENABLED_MODULES', value: enabledModules(ctx.request.tier).join(','), type: 'plain', target: ALL_TARGETS },
  ];
  await vercel.upsertEnv(project.id, vars, ctx.signal);

  let deployment = await existingDeployment(ctx, project);
  if (!deployment) {
    await ctx.fence();
    deployment = await vercel.createDeployment(
      { name, project: project.id, target: 'production', gitSource: { type: 'github', org, repo, ref: 'main' } },
      ctx.signal,
    );
    created = true;
    await ctx.record({ resources: { deploymentId: deployment.id } });
  }
  const deploymentId = deployment.id;
  const ready = await waitFor(
    ctx,
    {
      what: `Vercel deployment ${deploymentId} of ${name} to be READY`,
      timeoutMs: DEPLOY_POLLS * ctx.timings.pollIntervalMs,
      intervalMs: ctx.timings.pollIntervalMs,
    },
    async () => {
      const d = await vercel.getDeployment(deploymentId, ctx.signal);
      if (!d)
        throw new AppError('RESOURCE_FAILED', `Vercel deployment ${deploymentId} of ${name} vanished`, {
          retryable: true,
        });
      if (d.readyState === 'ERROR' || d.readyState === 'CANCELED') {
        throw new AppError('RESOURCE_FAILED', `Vercel deployment ${deploymentId} of ${name} ended ${d.readyState}`);
      }
      return d.readyState === 'READY' ? d : undefined;
    },
  );

  return {
    outcome: created ? ('created' as const) : ('skipped' as const),
    resources: {
      projectId: project.id,
      name,
      deploymentId,
      url: `https://${ready.url.replace(/^https?:\/\//, '')}`,
      readyState: ready.readyState,
    },
  };
}

/** A 409 on create means someone else just created it: use theirs. */
async function createOrFind(ctx: StepContext, name: string, repo: string): Promise<VercelProject> {
  try {
    await ctx.fence();
    return await ctx.clients.vercel.createProject(
      { name, framework: 'nextjs', gitRepository: { type: 'github', repo } },
      ctx.signal,
    );
  } catch (e) {
    if (!isAppError(e) || e.code !== 'PROVIDER_CONFLICT') throw e;
    const found = await ctx.clients.vercel.getProject(name, ctx.signal);
    if (!found) throw e;
    return found;
  }
}

/** The deployment recorded by an earlier attempt, else the project's current production one (unless it failed). */
async function existingDeployment(ctx: StepContext, project: VercelProject): Promise<VercelDeployment | undefined> {
  const recorded = ctx.checkpoint.resources.deploymentId;
  const candidates = [
    typeof recorded === 'string' ? recorded : undefined,
    project.targets?.production?.id,
    project.latestDeployments?.find((d) => d.target === 'production')?.id,
  ];
  for (const id of candidates) {
    if (!id) continue;
    const d = await ctx.clients.vercel.getDeployment(id, ctx.signal);
    if (d && d.readyState !== 'ERROR' && d.readyState !== 'CANCELED') return d;
  }
  return undefined;
}

async function deleteProject(ctx: CompensationContext) {
  const { vercel } = ctx.clients;
  const recorded = typeof ctx.recorded.projectId === 'string' ? ctx.recorded.projectId : undefined;
  const remove = (idOrName: string) =>
    deleteOrGone(
      () => vercel.deleteProject(idOrName, ctx.signal),
      async () => (await vercel.getProject(idOrName, ctx.signal)) !== null,
    );
  let deleted = recorded ? await remove(recorded) : false;
  if (await remove(ctx.names.vercelProject)) deleted = true;
  return deleted ? ('deleted' as const) : ('not_found' as const);
}
