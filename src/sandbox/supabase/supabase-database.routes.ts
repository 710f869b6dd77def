import type { OperationDef, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { apiKeysView } from './supabase-api-keys.js';
import { poolerView, runProjectQuery } from './supabase-database.gateway.js';
import { supabaseError, withProject, type SupabaseContext } from './supabase-project.routes.js';

/** api keys, pooler (connection) config and SQL of one project. */
export function projectDatabaseOperations(ctx: SupabaseContext): OperationDef[] {
  const { server } = ctx;
  return [
    {
      operationId: 'v1-get-project-api-keys',
      method: 'GET',
      path: '/v1/projects/:ref/api-keys',
      latencyMs: 100,
      handler: (req) =>
        withProject(ctx, req.params.ref, (p) => ({
          status: 200,
          body: apiKeysView(p.keys, req.query.reveal === 'true'),
        })),
    },
    {
      operationId: 'v1-get-pooler-config',
      method: 'GET',
      path: '/v1/projects/:ref/config/database/pooler',
      latencyMs: 100,
      handler: (req) => withProject(ctx, req.params.ref, (p) => ({ status: 200, body: poolerView(p.ref, server) })),
    },
    {
      operationId: 'v1-run-a-query',
      method: 'POST',
      path: '/v1/projects/:ref/database/query',
      latencyMs: 150,
      handler: (req) => runQuery(ctx, req, false),
    },
    {
      operationId: 'v1-read-only-query',
      method: 'POST',
      path: '/v1/projects/:ref/database/query/read-only',
      latencyMs: 150,
      handler: (req) => runQuery(ctx, req, true),
    },
  ];
}

/** `database/query` answers 201 with the rows of the last statement; a SQL error answers 400 `{message}`. */
function runQuery(
  ctx: SupabaseContext,
  req: SandboxRequest,
  forceReadOnly: boolean,
): SandboxResponse | Promise<SandboxResponse> {
  return withProject(ctx, req.params.ref, async (p) => {
    const body = req.body as { query?: unknown; parameters?: unknown; read_only?: unknown } | undefined;
    if (typeof body?.query !== 'string' || body.query.length === 0)
      return supabaseError(400, 'query must be a non-empty string');
    if (body.parameters !== undefined && !Array.isArray(body.parameters))
      return supabaseError(400, 'parameters must be an array');
    const status = ctx.store.status(p);
    if (status !== 'ACTIVE_HEALTHY')
      return supabaseError(400, `Project is not ready to accept queries (status ${status})`);
    const readOnly = forceReadOnly || body.read_only === true;
    const outcome = await runProjectQuery(ctx.deps.databaseUrl, p.ref, body.query, body.parameters, readOnly);
    return outcome.ok ? { status: 201, body: outcome.rows } : supabaseError(400, outcome.message);
  });
}
