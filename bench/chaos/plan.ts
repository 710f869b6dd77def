import { TRANSPORT_FAULTS, type FaultRule, type TransportFault } from '../../src/sandbox/framework/faults.js';
import type { ProviderName } from '../../src/shared/providers.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import type { ChaosOptions } from './options.js';
import type { Random } from './random.js';

/**
 * What a chaos run will do, drawn from its seed before anything starts: the clients, the fault
 * rules, and (drawn as it goes, from its own stream) the kill times.
 */

/** Every operation of the emulators (contracts' operationIds), by provider: all of them meet transient faults. */
export const OPERATIONS: Record<ProviderName, readonly string[]> = {
  supabase: [
    'v1-create-a-project',
    'v1-delete-a-project',
    'v1-get-pooler-config',
    'v1-get-project',
    'v1-get-project-api-keys',
    'v1-list-all-projects',
    'v1-read-only-query',
    'v1-run-a-query',
  ],
  github: [
    'repos/create-in-org',
    'repos/create-or-update-file-contents',
    'repos/create-using-template',
    'repos/delete',
    'repos/get',
    'repos/get-content',
  ],
  vercel: ['createDeployment', 'createProject', 'createProjectEnv', 'deleteProject', 'getDeployment', 'getProject'],
  n8n: [
    'activateWorkflow',
    'createWorkflow',
    'deactivateWorkflow',
    'deleteWorkflow',
    'getWorkflow',
    'getWorkflows',
    'publishWorkflow',
    'unpublishWorkflow',
    'webhook',
  ],
  gitea: [
    'createOrgRepo',
    'repoCreateFile',
    'repoDelete',
    'repoDeleteFile',
    'repoGet',
    'repoGetContents',
    'repoUpdateFile',
  ],
};

/** Every transport fault but the one that refuses for good. */
export const TRANSIENT: readonly TransportFault[] = TRANSPORT_FAULTS.filter((f) => f !== 'http4xx');

/** A create that fails for good, and how: a refusal, or the provider's own failure after it accepted. */
const PERMANENT_CREATES: Omit<FaultRule, 'probability'>[] = [
  { provider: 'supabase', operationId: 'v1-create-a-project', fault: 'init-failed' },
  { provider: 'github', operationId: 'repos/create-using-template', fault: 'http4xx', status: 422 },
  { provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 },
  { provider: 'vercel', operationId: 'createDeployment', fault: 'deployment-error' },
  { provider: 'n8n', operationId: 'createWorkflow', fault: 'http4xx', status: 400 },
  { provider: 'gitea', operationId: 'repoCreateFile', fault: 'http4xx', status: 422 },
];

/** Each compensation's delete, refused with a 403 (not retryable): that compensation fails. */
const DELETES: [ProviderName, string][] = [
  ['supabase', 'v1-delete-a-project'],
  ['github', 'repos/delete'],
  ['vercel', 'deleteProject'],
  ['n8n', 'deleteWorkflow'],
  ['gitea', 'repoDeleteFile'],
];

/**
 * The sandbox's rules. Permanent ones come first: the sandbox plays the first matching rule that
 * fires, so a permanent fault is not hidden behind a transient one. Which call a rule hits is the
 * sandbox's draw (its own Math.random), not the seed's.
 */
export function faultRules(o: Pick<ChaosOptions, 'transient' | 'permanentCreate' | 'permanentDelete'>): FaultRule[] {
  const rules: FaultRule[] = [];
  if (o.permanentCreate > 0) rules.push(...PERMANENT_CREATES.map((r) => ({ ...r, probability: o.permanentCreate })));
  if (o.permanentDelete > 0)
    rules.push(
      ...DELETES.map(([provider, operationId]) => ({
        provider,
        operationId,
        fault: 'http4xx' as const,
        status: 403,
        probability: o.permanentDelete,
      })),
    );
  if (o.transient > 0) {
    // Rules are tried in turn, each with its own chance: p/k each gives about p in all.
    const each = o.transient / TRANSIENT.length;
    for (const [provider, ops] of Object.entries(OPERATIONS) as [ProviderName, readonly string[]][])
      for (const operationId of ops)
        for (const fault of TRANSIENT) rules.push({ provider, operationId, fault, probability: each });
  }
  return rules;
}

export interface PlannedClient {
  request: ProvisionRequest;
  /** Posted a second time at once: the answer must name the same run. */
  postTwice: boolean;
}

export function plannedClients(
  o: Pick<ChaosOptions, 'runs' | 'seed' | 'duplicatePosts'>,
  random: Random,
): PlannedClient[] {
  const tag = o.seed.toString(36);
  return Array.from({ length: o.runs }, (_, i) => ({
    request: {
      // Mixed case on purpose: resource names use the lowercase form (SPEC 3).
      clientId: `Chaos${tag}-${i + 1}`.slice(0, 32),
      clientName: `Chaos client ${i + 1}`,
      orgEmail: `ops+${i + 1}@chaos.test`,
      tier: random.pick(['starter', 'professional', 'enterprise'] as const),
    },
    postTwice: random.chance(o.duplicatePosts),
  }));
}
