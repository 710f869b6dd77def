import type { EmulatorDeps, ProviderEmulator } from '../framework/emulator.types.js';
import { createProjectDatabase, dropProjectDatabase, projectDatabaseName } from './project-database.js';
import { databaseServer } from './supabase-database.gateway.js';
import { projectDatabaseOperations } from './supabase-database.routes.js';
import { SupabaseProjectStore } from './supabase-project.store.js';
import { projectOperations, supabaseError, type SupabaseContext } from './supabase-project.routes.js';
import { SupabaseRateLimiter } from './supabase-rate.limiter.js';
import { userOf } from './supabase-tokens.js';

export { SUPABASE_SECOND_TOKEN } from './supabase-tokens.js';

/**
 * The Supabase Management API (`/supabase/v1/...`): projects with a real Postgres database each,
 * their API keys, pooler config and SQL. Errors are `{message}`; auth is `Authorization: Bearer`.
 * A new project stays COMING_UP for the profile's provisioning time.
 */
export function createSupabaseEmulator(deps: EmulatorDeps): ProviderEmulator {
  const { runtime } = deps;
  const store = new SupabaseProjectStore(
    deps.world,
    () => runtime.now(),
    () => runtime.delay('supabaseProvisioning'),
  );
  const limiter = new SupabaseRateLimiter(runtime);
  const ctx: SupabaseContext = { deps, store, server: databaseServer(deps.databaseUrl) };

  return {
    name: 'supabase',
    prefix: '/supabase',
    operations: [...projectOperations(ctx), ...projectDatabaseOperations(ctx)],
    authenticate: (req) => (userOf(req) ? undefined : supabaseError(401, 'Unauthorized')),
    errorResponse: supabaseError,
    rateLimit: (req, operationId) => limiter.check(req, operationId),
    state: () => ({ projects: store.list().map((p) => store.stateView(p)) }),
    async reset() {
      const refs = store.list().map((p) => p.ref);
      store.clear();
      limiter.clear();
      const drops = await Promise.allSettled(
        refs.map((ref) => dropProjectDatabase(deps.databaseUrl, projectDatabaseName(ref))),
      );
      const failed = drops.filter((d): d is PromiseRejectedResult => d.status === 'rejected');
      if (failed.length > 0)
        throw new AggregateError(
          failed.map((f) => f.reason as unknown),
          `could not drop ${failed.length} project database(s)`,
        );
    },
    /** A project stored while its database was being made, before a restart: made now (creating it is idempotent). */
    async restored() {
      for (const p of store.list().filter((p) => p.databaseReadyAt === undefined)) {
        await createProjectDatabase(deps.databaseUrl, projectDatabaseName(p.ref));
        store.markDatabaseReady(p.ref);
      }
    },
  };
}
