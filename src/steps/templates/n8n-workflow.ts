import { loadTemplateJson } from '../../shared/templates.js';

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

/** The client's workflow: `templates/n8n-workflow.json` with its `{{placeholders}}` filled. */
export function n8nWorkflowFor(opts: N8nWorkflowOptions): N8nWorkflow {
  // The client id also lands inside the respond node's JSON body (a JSON text within a string).
  if (!/^[A-Za-z0-9-]+$/.test(opts.clientId))
    throw new Error(`client id unfit for a workflow: ${JSON.stringify(opts.clientId)}`);
  const vars: Record<string, string> = {
    name: opts.name,
    path: opts.webhookPath,
    webhookId: opts.webhookId,
    clientId: opts.clientId,
  };
  return fill(loadTemplateJson('n8n-workflow.json'), vars) as N8nWorkflow;
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
