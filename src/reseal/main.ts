import { loadConfig } from '../config/config.js';
import { createSealer } from '../shared/crypto.js';
import { ConfigError } from '../shared/errors.js';
import { runMain } from '../shared/process.js';
import { assertRedisReachable } from '../shared/redis.js';
import { createQueues } from '../runs/queues.js';
import { resealStored } from '../runs/reseal.js';

/**
 * `npm run reseal`: after a key rotation (ENCRYPTION_KEYS=<new>,<old>, every worker restarted
 * with it), re-seals every stored secret under the newest key, so the old key can be dropped.
 * `npm run reseal -- --check` changes nothing and exits 1 while any value is still under an
 * older key (or cannot be opened at all).
 */
await runMain('reseal', async () => {
  const check = process.argv.includes('--check');
  const config = loadConfig({ roles: [] });
  if (!config.encryptionKeys.length) throw new ConfigError(['ENCRYPTION_KEYS: required (newest key first)']);
  await assertRedisReachable(config);
  const queues = createQueues(config, config.queuePrefix);
  try {
    const sealer = createSealer(config.encryptionKeys);
    const report = await resealStored(queues, sealer, { dryRun: check });
    const verb = check ? 'under an older key' : 're-sealed';
    process.stdout.write(
      `reseal: ${report.runs} runs and ${report.jobs} jobs under prefix ${config.queuePrefix}; ${report.resealed} values ${verb}, ` +
        `${report.current} already under key ${sealer.keyId}, ${report.unreadable.length} unreadable\n` +
        report.unreadable.map((u) => `  unreadable: ${u}\n`).join(''),
    );
    process.exitCode = report.unreadable.length || (check && report.resealed) ? 1 : 0;
  } finally {
    await queues.close();
  }
  return { close: async () => undefined };
});
