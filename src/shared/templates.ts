import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { clientKey } from './names.js';
import type { ProvisionRequest, Tier } from '../steps/step.types.js';

/**
 * The one loader for `templates/`: the client schema, the module manifest and the
 * n8n workflow shape. From src/shared/ and from dist/shared/ alike, the folder is
 * two levels up. Files are read once per process.
 */
const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

/** What `templates/schema.sql` creates in schema `public`; the `database` step verifies it. */
export const SCHEMA_EXPECTATIONS = { tables: 21, policies: 25, indexes: 17 } as const;

const tier = z.enum(['starter', 'professional', 'enterprise']);
const manifestSchema = z.object({
  version: z.number().int(),
  modules: z.array(
    z.object({ id: z.string().min(1), name: z.string().min(1), description: z.string(), tiers: z.array(tier) }),
  ),
});
export type ModuleManifest = z.infer<typeof manifestSchema>;

let schemaSql: Promise<string> | undefined;
let manifest: ModuleManifest | undefined;
let workflowShape: unknown;

export function loadSchemaSql(): Promise<string> {
  schemaSql ??= readFile(new URL('schema.sql', TEMPLATES_DIR), 'utf8');
  return schemaSql;
}

export function moduleManifest(): ModuleManifest {
  manifest ??= manifestSchema.parse(readJson('client-config.json'));
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

export interface N8nWorkflowOptions {
  name: string;
  webhookPath: string;
  webhookId: string;
  clientId: string;
}

export interface N8nWorkflow {
  name: string;
  nodes: Record<string, unknown>[];
  connections: Record<string, unknown>;
  settings: Record<string, unknown>;
}

export function n8nWorkflowFor(opts: N8nWorkflowOptions): N8nWorkflow {
  // The client id also lands inside the respond node's JSON body (a JSON text within a string).
  if (!/^[A-Za-z0-9-]+$/.test(opts.clientId))
    throw new Error(`client id unfit for a workflow: ${JSON.stringify(opts.clientId)}`);
  workflowShape ??= readJson('n8n-workflow.json');
  const vars: Record<string, string> = {
    name: opts.name,
    path: opts.webhookPath,
    webhookId: opts.webhookId,
    clientId: opts.clientId,
  };
  return fill(workflowShape, vars) as N8nWorkflow;
}

/** Substitutes `{{key}}` in the string values of a parsed JSON tree: JSON-safe by construction. */
function fill(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const v = vars[key];
      if (v === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  }
  return value;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, TEMPLATES_DIR), 'utf8'));
}
