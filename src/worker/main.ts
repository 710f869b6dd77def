import { loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { startWorkers } from './worker-runtime.js';

await runMain('worker', async () => {
  const config = loadConfig({ roles: ['worker'] });
  const logger = createLogger(config.logLevel, 'worker');
  return startWorkers(config, logger);
});
