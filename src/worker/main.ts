import { loadConfig } from '../config/config.js';
import { SANDBOX_IDENTITY } from '../sandbox/sandbox-credentials.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { stopInOrder } from '../shared/shutdown.js';
import { deploymentFingerprint } from '../shared/deployment-fingerprint.js';
import { registerProcess } from '../shared/deployment-registry.js';
import { startWorkers } from './worker-runtime.js';

await runMain('worker', async () => {
  const config = loadConfig({ roles: ['worker'], sandbox: SANDBOX_IDENTITY });
  const logger = createLogger(config.logLevel, 'worker', config.logFormat);
  // Before any job is taken: a worker with another key or other providers than the deployment refuses.
  const membership = await registerProcess(config, {
    prefix: config.queuePrefix,
    role: 'worker',
    fingerprint: deploymentFingerprint(config),
  });
  const worker = await startWorkers(config, logger);
  return stopInOrder(
    [
      { name: 'worker', close: () => worker.close() },
      { name: 'registration', close: () => membership.leave() },
    ],
    config.shutdownTimeoutMs,
  );
});
