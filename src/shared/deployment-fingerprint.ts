import { createHash } from 'node:crypto';
import { PROVIDER_NAMES, type ProviderMode, type ProviderName } from './providers.js';

/**
 * What every process of one deployment (one Redis, one queue prefix) must agree on, as
 * field → value: the encryption key's id (never the key), each provider's mode and base URL,
 * and, for `npm start`, the id of the in-memory sandbox it runs. A process registers only the
 * fields it knows (an API started without ENCRYPTION_KEY has no key id).
 */
export type DeploymentFingerprint = Record<string, string>;

/** What a fingerprint is made of (the entry point hands its configuration in). */
export interface FingerprintSource {
  encryptionKey: Buffer;
  providers: Record<ProviderName, { mode: ProviderMode; baseUrl: string }>;
  /** Set by a process that runs its own sandbox: runs only agree with that sandbox's world. */
  sandboxInstance?: string;
}

/** The first 8 hex characters of the key's SHA-256: tells keys apart, reveals nothing of them. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function deploymentFingerprint(source: FingerprintSource): DeploymentFingerprint {
  const fields: DeploymentFingerprint = {};
  if (source.encryptionKey.length) fields['encryption key id'] = encryptionKeyId(source.encryptionKey);
  for (const p of PROVIDER_NAMES) {
    const { mode, baseUrl } = source.providers[p];
    fields[`${p} provider`] = `${mode} ${baseUrl}`;
  }
  if (source.sandboxInstance) fields['sandbox instance'] = source.sandboxInstance;
  return fields;
}
