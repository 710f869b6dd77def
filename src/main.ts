import { randomUUID } from 'node:crypto';
import { loadConfig } from './config/config.js';
import { PROVIDER_NAMES } from './shared/providers.js';
import { SANDBOX_IDENTITY } from './sandbox/sandbox-credentials.js';
import { createLogger } from './shared/logger.js';
import { runMain } from './shared/process.js';
import { bindingPort, stopInOrder } from './shared/shutdown.js';
import { deploymentFingerprint } from './shared/deployment-fingerprint.js';
import { registerProcess } from './shared/deployment-registry.js';
import { startApi } from './api/api-server.js';
import { startWorkers } from './worker/worker-runtime.js';
import { startConfiguredSandbox } from './sandbox/sandbox-runtime.js';

/**
 * `npm start`: sandbox, worker and API in one process, to try the product on one
 * machine. Without API_TOKENS it makes an admin token and prints it once, likewise a
 * CALLBACK_SECRET; without ENCRYPTION_KEY it makes one for this process only. Logs are
 * readable lines unless LOG_FORMAT=json.
 */
await runMain('client-provisioner', async () => {
  const config = loadConfig({
    roles: ['api', 'worker', 'sandbox'],
    generateMissingSecrets: true,
    sandbox: SANDBOX_IDENTITY,
  });
  const logger = createLogger(config.logLevel, 'provisioner', config.logFormat ?? 'pretty');
  const emulated = PROVIDER_NAMES.filter((p) => config.providers[p].mode === 'sandbox');
  // Every port is bound before any worker starts: a port in use stops the start-up with
  // one line, before a job has been taken.
  const sandbox = emulated.length
    ? await bindingPort('SANDBOX_PORT', config.sandbox.port, () => startConfiguredSandbox(config, logger))
    : undefined;
  const api = await bindingPort('PORT', config.port, () => startApi(config, logger));
  // One deployment per queue prefix: another `npm start` (its own in-memory sandbox) or a
  // process with another key refuses here, before this one's worker takes any job.
  const membership = await registerProcess(config, {
    prefix: config.queuePrefix,
    role: 'npm start',
    url: api.url,
    fingerprint: deploymentFingerprint({
      ...config,
      ...(sandbox ? { sandboxInstance: `${sandbox.url} ${randomUUID()}` } : {}),
    }),
  });
  const worker = await startWorkers(config, logger);

  const lines = [
    '',
    `  API        ${api.url}/api/provisioning`,
    `  Console    ${api.url}/console   (sign in with the token)`,
    `  Dashboard  ${api.url}/admin/queues   (any user name, the token as password)`,
    `  API docs   ${api.url}/api/docs   (OpenAPI 3.1: ${api.url}/api/openapi.json)`,
    `  Metrics    ${api.url}/metrics`,
    sandbox
      ? `  Sandbox    ${sandbox.url}   (emulating: ${emulated.join(', ')}; state at ${sandbox.url}/_sandbox/state)`
      : '  Sandbox    off (all providers live)',
    config.apiTokenGenerated
      ? `  Admin token (shown once): ${config.apiTokens[0]!.token}`
      : '  Tokens     from API_TOKENS',
    config.callbackSecretGenerated
      ? `  Callback secret (shown once; verifies X-Provisioner-Signature): ${config.callbackDelivery.secret}`
      : '',
    config.encryptionKeyGenerated
      ? '  ENCRYPTION_KEYS not set: a key was made for this process; runs in flight cannot resume after a restart.'
      : '',
    '',
    `  curl -sX POST ${api.url}/api/provisioning -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
    `       -d '{"clientId":"acme","clientName":"Acme Ltd","orgEmail":"ops@acme.test","tier":"professional"}'`,
    `  # or: PROVISIONER_API_URL=${api.url} PROVISIONER_TOKEN=$TOKEN npx client-provisioner provision \\`,
    `  #       --client-id acme --name 'Acme Ltd' --email ops@acme.test --tier professional --watch`,
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== undefined).join('\n') + '\n');

  return stopInOrder(
    [
      { name: 'api', close: () => api.close() },
      { name: 'worker', close: () => worker.close() },
      { name: 'registration', close: () => membership.leave() },
      ...(sandbox ? [{ name: 'sandbox', close: () => sandbox.close() }] : []),
    ],
    config.shutdownTimeoutMs,
  );
});
