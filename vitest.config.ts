import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
