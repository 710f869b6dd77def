import { defineConfig } from 'vitest/config';

/** Load tests (a burst of clients) run alone, after the rest, so they starve no timing of another file. */
const ALONE = ['test/component/fleet.test.ts', 'test/component/chaos.test.ts'];

export default defineConfig({
  test: {
    // Real Redis and Postgres (test/support/global-setup.ts); provider emulators over loopback.
    globalSetup: 'test/support/global-setup.ts',
    // Fails any test that connects off this machine.
    setupFiles: ['test/support/no-network.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child processes, not threads: BullMQ workers and servers are torn down with their process.
    pool: 'forks',
    fileParallelism: true,
    // CI's machine has 2 cores.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ALONE } },
      { extends: true, test: { name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
