import type { ProviderEmulator } from './emulator.types.js';
import { SandboxWorld } from './sandbox-world.js';
import { openPostgresWorld } from './world-postgres.js';

/** Where a sandbox keeps its world; without these options it lives in memory and dies with the process. */
export interface WorldOptions {
  /**
   * The sandbox's name on the Postgres server: a sandbox started again with the same name (and
   * DATABASE_URL) finds its world as it left it.
   */
  instance: string;
  /** Forget the world at close (its rows and the project databases), as an in-memory sandbox does: tests. */
  dropOnClose?: boolean;
}

/** Opened before the port is bound: a sandbox whose instance is taken does not start at all. */
export async function openWorld(databaseUrl: string, options: WorldOptions | undefined): Promise<SandboxWorld> {
  return new SandboxWorld(options ? await openPostgresWorld(databaseUrl, options.instance) : undefined);
}

/** The stored world into the emulators (once they have seeded theirs), then whatever a restart interrupted. */
export async function restoreWorld(world: SandboxWorld, emulators: ProviderEmulator[]): Promise<void> {
  await world.load();
  if (!world.persistent) return;
  for (const e of emulators) await e.restored?.();
  await world.flush();
}

/**
 * A kept world is left as it is (every change already stored); any other is cleared as an
 * in-memory sandbox always was, project databases included, since nobody will find it again.
 */
export async function closeWorld(
  world: SandboxWorld,
  emulators: ProviderEmulator[],
  options: WorldOptions | undefined,
): Promise<void> {
  try {
    if (world.persistent && !options?.dropOnClose) {
      await world.flush();
      return;
    }
    for (const e of emulators) await e.reset();
    await world.drop();
  } finally {
    await world.close();
  }
}
