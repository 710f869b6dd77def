import type { N8nVersion } from './n8n.versions.js';

const REQUIRED = ['name', 'nodes', 'connections', 'settings'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The create body checked the way n8n's OpenAPI validator does, with its messages
 * (`request/body must have required property 'settings'`, `request/body/active is read-only`, …).
 */
export function createBodyErrors(body: unknown, version: N8nVersion): string[] {
  if (!isObject(body)) return ['request/body must be object'];
  const errors: string[] = [];
  for (const field of REQUIRED)
    if (!(field in body)) errors.push(`request/body must have required property '${field}'`);
  for (const field of Object.keys(body)) {
    if (version.readOnly.has(field)) errors.push(`request/body/${field} is read-only`);
    else if (!version.writable.has(field)) errors.push('request/body must NOT have additional properties');
  }
  if ('name' in body && typeof body.name !== 'string') errors.push('request/body/name must be string');
  if ('connections' in body && !isObject(body.connections)) errors.push('request/body/connections must be object');
  if ('settings' in body) {
    if (!isObject(body.settings)) errors.push('request/body/settings must be object');
    else if (Object.keys(body.settings).some((k) => !version.settings.has(k)))
      errors.push('request/body/settings must NOT have additional properties');
  }
  if ('nodes' in body) {
    if (!Array.isArray(body.nodes)) errors.push('request/body/nodes must be array');
    else {
      body.nodes.forEach((node: unknown, i) => {
        if (!isObject(node)) errors.push(`request/body/nodes/${i} must be object`);
        else if (Object.keys(node).some((k) => !version.nodeFields.has(k)))
          errors.push(`request/body/nodes/${i} must NOT have additional properties`);
      });
    }
  }
  return [...new Set(errors)];
}

/** The optional 2.x activate/publish body: `{versionId?, name?, description?}`. */
export function activateBodyErrors(body: unknown, version: N8nVersion): string[] {
  if (body === undefined || version.major === 1) return [];
  if (!isObject(body)) return ['request/body must be object'];
  const allowed = new Set(['versionId', 'name', 'description']);
  return Object.keys(body).some((k) => !allowed.has(k)) ? ['request/body must NOT have additional properties'] : [];
}
