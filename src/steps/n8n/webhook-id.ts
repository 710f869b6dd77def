import { createHash } from 'node:crypto';

/** Our own namespace for name-based UUIDs (a fixed random UUID). */
const NAMESPACE = '3b0c6f8e-5a41-4f2d-9c7e-1d2a6b9e4f10';

/**
 * A UUID version 5 (RFC 9562: SHA-1 of namespace + name) for the client's webhook node,
 * so that every attempt builds the same workflow and n8n registers the same `/webhook/<path>`.
 */
export function webhookIdFor(clientKey: string): string {
  const ns = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(`webhook:${clientKey}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
