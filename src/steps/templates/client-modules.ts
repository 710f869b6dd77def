import { z } from 'zod';
import { clientKey } from '../../shared/names.js';
import { tierSchema, type ProvisionRequest, type Tier } from '../../shared/provision-request.js';
import { loadTemplateJson } from '../../shared/templates.js';

/** `templates/client-config.json`: the modules, and which tiers turn each on. */
const manifestSchema = z.object({
  version: z.number().int(),
  modules: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      description: z.string(),
      tiers: z.array(tierSchema),
    }),
  ),
});
export type ModuleManifest = z.infer<typeof manifestSchema>;

let manifest: ModuleManifest | undefined;

export function moduleManifest(): ModuleManifest {
  manifest ??= manifestSchema.parse(loadTemplateJson('client-config.json'));
  return manifest;
}

export function enabledModules(t: Tier): string[] {
  return moduleManifest()
    .modules.filter((m) => m.tiers.includes(t))
    .map((m) => m.id);
}

export interface ClientConfig {
  version: number;
  clientId: string;
  clientName: string;
  tier: Tier;
  modules: { id: string; name: string; description: string; enabled: boolean }[];
}

/** The client's copy of the manifest, committed to its repo. Deterministic: a retry writes the same file. */
export function clientConfigFor(request: ProvisionRequest): ClientConfig {
  const { version, modules } = moduleManifest();
  return {
    version,
    clientId: clientKey(request.clientId),
    clientName: request.clientName,
    tier: request.tier,
    modules: modules.map(({ id, name, description, tiers }) => ({
      id,
      name,
      description,
      enabled: tiers.includes(request.tier),
    })),
  };
}
