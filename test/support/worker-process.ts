/**
 * A worker in a process of its own, for tests that kill it (SIGKILL) and start another one:
 *
 *   node --import tsx test/support/worker-process.ts
 *
 * Configured from the environment only, exactly as `npm run worker` (src/worker/main.ts) is; a test
 * passes the environment its harness built (`Harness.env`: REDIS_URL, QUEUE_PREFIX, SANDBOX_URL,
 * ENCRYPTION_KEY, LOCK_DURATION_MS, ...). On top of that:
 * - once the BullMQ workers are started it prints one line, `worker-ready <pid>`, on stdout;
 * - when started with an IPC channel (`spawn(..., {stdio: [..., 'ipc']})`) it exits as soon as that
 *   channel closes, i.e. when the test process goes away, so a crashed test run leaves no worker
 *   behind. The exit is abrupt on purpose: it is a crash, which the product has to survive anyway.
 */
import { SANDBOX_IDENTITY } from '../../src/sandbox/sandbox-credentials.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { runMain } from '../../src/shared/process.js';
import { startWorkers } from '../../src/worker/worker-runtime.js';

if (process.send) process.on('disconnect', () => process.exit(0));

await runMain('test-worker', async () => {
  const config = loadConfig({ roles: ['worker'], sandbox: SANDBOX_IDENTITY });
  const logger = createLogger(config.logLevel, 'worker');
  const runtime = await startWorkers(config, logger);
  process.stdout.write(`worker-ready ${process.pid}\n`);
  return runtime;
});
