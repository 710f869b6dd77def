import { loadConfig } from '../config/config.js';
import { createLogger } from '../shared/logger.js';
import { runMain } from '../shared/process.js';
import { bindingPort, stopInOrder } from '../shared/shutdown.js';
import { startConfiguredSandbox } from './sandbox-runtime.js';

await runMain('sandbox', async () => {
  const config = loadConfig({ roles: ['sandbox'] });
  const logger = createLogger(config.logLevel, 'sandbox');
  const sandbox = await bindingPort('SANDBOX_PORT', config.sandbox.port, () => startConfiguredSandbox(config, logger));
  logger.info(
    {
      url: sandbox.url,
      timeScale: config.sandbox.timeScale,
      rateLimits: config.sandbox.rateLimits,
      limits: config.sandbox.limits,
      profile: config.sandbox.profile,
    },
    'sandbox listening',
  );
  return stopInOrder([{ name: 'sandbox', close: () => sandbox.close() }], config.shutdownTimeoutMs);
});
