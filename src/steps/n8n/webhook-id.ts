import { v5 as uuidv5 } from 'uuid';

/** Our own namespace for name-based UUIDs (a fixed random UUID). */
const NAMESPACE = '3b0c6f8e-5a41-4f2d-9c7e-1d2a6b9e4f10';

/**
 * A UUID version 5 (RFC 9562: SHA-1 of namespace + name) for the client's webhook node,
 * so that every attempt builds the same workflow and n8n registers the same `/webhook/<path>`.
 */
export function webhookIdFor(clientKey: string): string {
  return uuidv5(`webhook:${clientKey}`, NAMESPACE);
}
