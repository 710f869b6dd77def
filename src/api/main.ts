import { loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { startApi } from './api-server.js';

await runMain('api', async () => {
  const config = loadConfig({ roles: ['api'] });
  const logger = createLogger(config.logLevel, 'api', config.logFormat);
  const api = await startApi(config, logger);
  logger.info({ url: api.url }, 'api listening');
  return api;
});
