import { loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { bindingPort, stopInOrder } from '../shared/shutdown.js';
import { deploymentFingerprint } from '../shared/deployment-fingerprint.js';
import { registerProcess } from '../shared/deployment-registry.js';
import { startApi } from './api-server.js';

await runMain('api', async () => {
  const config = loadConfig({ roles: ['api'] });
  const logger = createLogger(config.logLevel, 'api', config.logFormat);
  const api = await bindingPort('PORT', config.port, () => startApi(config, logger));
  const membership = await registerProcess(config, {
    prefix: config.queuePrefix,
    role: 'api',
    url: api.url,
    fingerprint: deploymentFingerprint(config),
  });
  logger.info({ url: api.url }, 'api listening');
  return stopInOrder(
    [
      { name: 'api', close: () => api.close() },
      { name: 'registration', close: () => membership.leave() },
    ],
    config.shutdownTimeoutMs,
  );
});
