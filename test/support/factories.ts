import { randomBytes } from 'node:crypto';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';

let counter = 0;

/**
 * A valid provisioning request for a client no other test uses, with `overrides` on top
 * (`buildRequest({ tier: 'starter' })`). The id is mixed case on purpose: resource names use its
 * lowercase form, and a test that forgets it fails.
 */
export function buildRequest(overrides: Partial<ProvisionRequest> = {}): ProvisionRequest {
  counter += 1;
  return {
    clientId: `C${randomBytes(4).toString('hex')}${counter}`,
    clientName: 'Acme Holiday Lets',
    orgEmail: 'ops@acme.test',
    tier: 'professional',
    ...overrides,
  };
}
