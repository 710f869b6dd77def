import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { AppError } from './errors.js';

/**
 * AES-256-GCM for the secrets that must pass between steps (SPEC 4.4).
 * A sealed value is `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts); the run,
 * step and name are bound in as additional data so a value cannot be replayed elsewhere.
 *
 * Keys rotate: a sealer holds several keys, newest first. It seals with the newest and
 * opens with whichever key the value names, so runs sealed under an old key still finish.
 * `v1.<iv>.<tag>.<ciphertext>` (before key ids) is opened by trying each key.
 */
export interface Sealer {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
  /** The id of the key new values are sealed with. */
  readonly keyId: string;
  /** The id of the key a sealed value names (undefined for a `v1` value or garbage). */
  keyIdOf(sealed: string): string | undefined;
}

/** A key's public name: a MAC of a fixed label, so it says nothing about the key. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('client-provisioner key id').digest('base64url').slice(0, 10);
}

export function createSealer(keys: Buffer | readonly Buffer[]): Sealer {
  const ring = (Buffer.isBuffer(keys) ? [keys] : [...keys]).map((key) => {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
    return { id: keyIdOf(key), key };
  });
  const newest = ring[0];
  if (!newest) throw new Error('at least one encryption key is needed');

  const decrypt = (key: Buffer, iv: string, tag: string, body: string, context: string) => {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  };
  const unavailable = (why: string, cause?: unknown) =>
    new AppError('SECRET_UNAVAILABLE', `a sealed secret cannot be opened: ${why}`, cause ? { cause } : {});

  return {
    keyId: newest.id,
    keyIdOf(sealed) {
      const [version, id] = sealed.split('.');
      return version === 'v2' ? id : undefined;
    },
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', newest.key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v2', newest.id, ...[iv, cipher.getAuthTag(), body].map((p) => p.toString('base64url'))].join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      if (parts[0] === 'v2' && parts.length === 5) {
        const [, id, iv, tag, body] = parts as [string, string, string, string, string];
        const entry = ring.find((k) => k.id === id);
        if (!entry) throw unavailable(`its key ${id} is not among ENCRYPTION_KEYS`);
        try {
          return decrypt(entry.key, iv, tag, body, context);
        } catch (cause) {
          throw unavailable(`it does not authenticate under key ${id}`, cause);
        }
      }
      if (parts[0] === 'v1' && parts.length === 4) {
        const [, iv, tag, body] = parts as [string, string, string, string];
        for (const { key } of ring) {
          try {
            return decrypt(key, iv, tag, body, context);
          } catch {
            // not this key: try the next
          }
        }
        throw unavailable('no key in ENCRYPTION_KEYS opens it');
      }
      throw unavailable('it is malformed');
    },
  };
}
