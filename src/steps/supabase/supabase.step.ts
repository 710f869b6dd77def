import { deleteOrGone } from '../delete-or-gone.js';
import { randomBytes } from 'node:crypto';
import type {
  ApiKeyResponse,
  ProjectStatus,
  SupavisorConfigResponse,
  V1ProjectResponse,
} from '../../providers/supabase.client.js';
import { AppError } from '../../shared/errors.js';
import type { CompensationContext, StepContext, StepDefinition } from '../step.types.js';
import { waitFor } from '../wait.js';

/**
 * `supabase`: the client's project `client-{id}`, found by name or created with a random
 * DB password recorded first, awaited until ACTIVE_HEALTHY; then its API keys and how to
 * reach its database. Undone by deleting the project.
 */
const TERMINAL: ReadonlySet<ProjectStatus> = new Set([
  'INIT_FAILED',
  'REMOVED',
  'GOING_DOWN',
  'INACTIVE',
  'PAUSE_FAILED',
  'RESTORE_FAILED',
]);

export const supabaseStep: StepDefinition = {
  name: 'supabase',
  execute: createProject,
  compensate: deleteProject,
};

async function createProject(ctx: StepContext) {
  const { supabase } = ctx.clients;
  const { orgSlug, region } = ctx.providers.supabase;
  const name = ctx.names.supabaseProject;
  let dbPassword = ctx.checkpoint.secret('dbPassword');

  let project: V1ProjectResponse | undefined = await findProject(ctx, name, ctx.checkpoint.resources.ref);
  const created = !project;
  if (!project) {
    if (!dbPassword) {
      dbPassword = randomBytes(24).toString('base64url');
      await ctx.record({ secrets: { dbPassword } });
    }
    await ctx.fence();
    project = await supabase.createProject(
      { name, organization_slug: orgSlug, region, db_pass: dbPassword },
      ctx.signal,
    );
  }
  const ref = project.ref;
  if (!dbPassword) {
    throw new AppError(
      'SECRET_UNAVAILABLE',
      `Supabase project ${name} (${ref}) exists but this run holds no database password for it; delete it or provision it by hand`,
    );
  }
  await ctx.record({ resources: { ref, name } });

  const ready = await waitFor(
    ctx,
    {
      what: `Supabase project ${name} (${ref}) to be ACTIVE_HEALTHY`,
      timeoutMs: ctx.timings.supabaseReadyTimeoutMs,
      intervalMs: ctx.timings.pollIntervalMs,
    },
    async () => {
      const p = await supabase.getProject(ref, ctx.signal);
      if (p && TERMINAL.has(p.status))
        throw new AppError('RESOURCE_FAILED', `Supabase project ${name} (${ref}) is ${p.status}`);
      return p?.status === 'ACTIVE_HEALTHY' ? p : undefined;
    },
  );

  const keys = await supabase.getApiKeys(ref, ctx.signal);
  const anonKey = pickKey(keys, 'anon', 'publishable');
  const serviceRoleKey = pickKey(keys, 'service_role', 'secret');
  if (!anonKey || !serviceRoleKey)
    throw new AppError('RESOURCE_NOT_READY', `Supabase has not handed out the API keys of ${ref} yet`, {
      retryable: true,
    });
  const pooler = pickPooler(await supabase.getPoolerConfig(ref, ctx.signal));
  if (!pooler)
    throw new AppError('RESOURCE_NOT_READY', `Supabase has no primary database connection for ${ref} yet`, {
      retryable: true,
    });

  return {
    outcome: created ? ('created' as const) : ('skipped' as const),
    resources: {
      ref,
      name,
      region: ready.region,
      status: ready.status,
      apiUrl: `https://${ref}.supabase.co`,
      dbHost: pooler.db_host,
      dbPort: pooler.db_port,
      dbName: pooler.db_name,
      dbUser: pooler.db_user,
    },
    secrets: { dbPassword, anonKey, serviceRoleKey },
  };
}

async function deleteProject(ctx: CompensationContext) {
  const { supabase } = ctx.clients;
  const recorded = typeof ctx.recorded.ref === 'string' ? ctx.recorded.ref : undefined;
  const refs = new Set<string>(recorded ? [recorded] : []);
  for (const p of await projectsNamed(ctx, ctx.names.supabaseProject)) refs.add(p.ref);
  let deleted = false;
  for (const ref of refs) {
    const removed = await deleteOrGone(
      () => supabase.deleteProject(ref, ctx.signal),
      async () => (await supabase.getProject(ref, ctx.signal)) !== null,
    );
    if (removed) deleted = true;
  }
  return deleted ? ('deleted' as const) : ('not_found' as const);
}

/** The project by its recorded ref, else the oldest with the exact name in our org. */
async function findProject(
  ctx: StepContext,
  name: string,
  recordedRef: unknown,
): Promise<V1ProjectResponse | undefined> {
  if (typeof recordedRef === 'string') {
    const byRef = await ctx.clients.supabase.getProject(recordedRef, ctx.signal);
    if (byRef && byRef.name === name) return byRef;
  }
  return (await projectsNamed(ctx, name))[0];
}

async function projectsNamed(ctx: StepContext | CompensationContext, name: string) {
  const { orgSlug } = ctx.providers.supabase;
  const all = await ctx.clients.supabase.listProjects(ctx.signal);
  return all
    .filter((p) => p.name === name && (!p.organization_slug || !orgSlug || p.organization_slug === orgSlug))
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** The legacy JWT key by name (`anon`, `service_role`), else the new-style key of that type. */
function pickKey(keys: ApiKeyResponse[], name: string, type: 'publishable' | 'secret'): string | undefined {
  return (
    (keys.find((k) => k.name === name && k.api_key) ?? keys.find((k) => k.type === type && k.api_key))?.api_key ??
    undefined
  );
}

/** The primary database, through a session-mode pooler when there is one (the schema runs in one transaction). */
function pickPooler(configs: SupavisorConfigResponse[]): SupavisorConfigResponse | undefined {
  const primary = configs.filter((c) => c.database_type === 'PRIMARY');
  return primary.find((c) => c.pool_mode === 'session') ?? primary[0];
}
