import { loadConfig } from '../config/config.js';
import { SANDBOX_IDENTITY } from '../sandbox/sandbox-credentials.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { startWorkers } from './worker-runtime.js';

await runMain('worker', async () => {
  const config = loadConfig({ roles: ['worker'], sandbox: SANDBOX_IDENTITY });
  const logger = createLogger(config.logLevel, 'worker', config.logFormat);
  return startWorkers(config, logger);
});
