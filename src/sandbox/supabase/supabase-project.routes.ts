import type { EmulatorDeps, OperationDef, SandboxResponse } from '../framework/emulator.types.js';
import { createProjectDatabase, dropProjectDatabase, projectDatabaseName } from './project-database.js';
import { validateCreateProject } from './supabase-create-body.validator.js';
import type { DatabaseServer } from './supabase-database.gateway.js';
import type { SandboxProject, SupabaseProjectStore } from './supabase-project.store.js';

export interface SupabaseContext {
  deps: EmulatorDeps;
  store: SupabaseProjectStore;
  server: DatabaseServer;
}

export const supabaseError = (status: number, message: string): SandboxResponse => ({ status, body: { message } });

/** Supabase answers 404 for a ref it does not know, though the contract lists none. */
export const projectNotFound = (): SandboxResponse => supabaseError(404, 'Project not found');

/** Runs `then` with the project named by `:ref`, or answers 404. */
export function withProject(
  ctx: SupabaseContext,
  ref: string | undefined,
  then: (p: SandboxProject) => SandboxResponse | Promise<SandboxResponse>,
) {
  const project = ref === undefined ? undefined : ctx.store.get(ref);
  return project ? then(project) : projectNotFound();
}

/** list, create, get and delete a project. */
export function projectOperations(ctx: SupabaseContext): OperationDef[] {
  const { deps, store, server } = ctx;
  return [
    {
      operationId: 'v1-list-all-projects',
      method: 'GET',
      path: '/v1/projects',
      latencyMs: 120,
      handler: () => ({ status: 200, body: store.list().map((p) => store.viewWithDatabase(p, server.host)) }),
    },
    {
      operationId: 'v1-create-a-project',
      method: 'POST',
      path: '/v1/projects',
      latencyMs: 600,
      handler: async (req) => {
        const input = validateCreateProject(req.body);
        if (!input.ok) return supabaseError(400, input.message);
        const initFails = deps.runtime.takeFault('supabase', 'v1-create-a-project', 'init-failed');
        const ref = store.freshRef();
        // Listed at once (COMING_UP), as Supabase lists a project from the moment it accepts the
        // create: a client that gave up waiting for the answer finds it by name. Its database exists
        // before it is answered and before it turns healthy.
        const project = store.add(ref, { ...input.value, initFails });
        const dbName = projectDatabaseName(ref);
        try {
          await createProjectDatabase(deps.databaseUrl, dbName);
        } catch (e) {
          store.remove(ref);
          await dropProjectDatabase(deps.databaseUrl, dbName).catch(() => undefined);
          throw e;
        }
        // Deleted while its database was being made: drop that too.
        if (!store.get(ref)) await dropProjectDatabase(deps.databaseUrl, dbName);
        store.markDatabaseReady(ref);
        return { status: 201, body: store.view(project) };
      },
    },
    {
      operationId: 'v1-get-project',
      method: 'GET',
      path: '/v1/projects/:ref',
      latencyMs: 80,
      handler: (req) =>
        withProject(ctx, req.params.ref, (p) => ({ status: 200, body: store.viewWithDatabase(p, server.host) })),
    },
    {
      operationId: 'v1-delete-a-project',
      method: 'DELETE',
      path: '/v1/projects/:ref',
      latencyMs: 300,
      handler: (req) =>
        withProject(ctx, req.params.ref, async (p) => {
          // Drop first: when the drop fails the project stays, and a retried delete finds it again.
          await dropProjectDatabase(deps.databaseUrl, projectDatabaseName(p.ref));
          store.remove(p.ref);
          return { status: 200, body: { id: p.numericId, ref: p.ref, name: p.name } };
        }),
    },
  ];
}
