import type { SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import type { N8nNode, N8nStore, Workflow } from './n8n.state.js';

export const WEBHOOK_NODE = 'n8n-nodes-base.webhook';
const RESPOND_NODE = 'n8n-nodes-base.respondToWebhook';
/** Trigger-named nodes that do not make a workflow activatable. */
const NOT_ACTIVATING = new Set([
  'n8n-nodes-base.manualTrigger',
  'n8n-nodes-base.executeWorkflowTrigger',
  'n8n-nodes-base.errorTrigger',
  'n8n-nodes-base.start',
]);
const HINT =
  "The workflow must be active for a production URL to run successfully. You can activate the workflow using the toggle in the top-right of the editor. Note that unlike test URL calls, production URL calls aren't shown on the canvas (only in the executions list)";

export interface Registration {
  method: string;
  path: string;
  node: N8nNode;
  workflow: Workflow;
}

const trimSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

export const isTriggerNode = (n: N8nNode): boolean =>
  n.disabled !== true && (n.type === WEBHOOK_NODE || (/trigger$/i.test(n.type) && !NOT_ACTIVATING.has(n.type)));

/**
 * The production webhooks a workflow registers when active. As n8n does: with a `webhookId` the
 * path is the node's `path`; without one it is `<workflowId>/<lower-cased node name>/<path>`.
 */
export function registrations(wf: Workflow): Registration[] {
  return wf.nodes
    .filter((n) => n.type === WEBHOOK_NODE && n.disabled !== true)
    .map((node) => {
      const raw = node.parameters?.path;
      const param = trimSlashes(typeof raw === 'string' ? raw : '');
      const path =
        node.webhookId === undefined
          ? `${wf.id}/${encodeURIComponent(node.name.toLowerCase())}/${param}`
          : param || node.webhookId;
      const method = node.parameters?.httpMethod;
      return { method: typeof method === 'string' ? method.toUpperCase() : 'GET', path, node, workflow: wf };
    });
}

/** Whether another active workflow already holds one of `wf`'s webhooks. */
export function conflicts(store: N8nStore, wf: Workflow): boolean {
  const taken = new Set(
    store
      .all()
      .filter((o) => o.active && o.id !== wf.id)
      .flatMap((o) => registrations(o).map((r) => `${r.method} ${r.path}`)),
  );
  return registrations(wf).some((r) => taken.has(`${r.method} ${r.path}`));
}

/** The Respond to Webhook node wired downstream of `from`, if any. */
function respondNode(wf: Workflow, from: N8nNode): N8nNode | undefined {
  const byName = new Map(wf.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>();
  const queue = [from.name];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (node && node !== from && node.type === RESPOND_NODE && node.disabled !== true) return node;
    const outputs = (wf.connections[name] as { main?: unknown } | undefined)?.main;
    for (const branch of Array.isArray(outputs) ? outputs : []) {
      for (const link of Array.isArray(branch) ? branch : []) {
        if (link && typeof (link as { node?: unknown }).node === 'string') queue.push((link as { node: string }).node);
      }
    }
  }
  return undefined;
}

function respond(node: N8nNode): SandboxResponse {
  const code = (node.parameters?.options as { responseCode?: unknown } | undefined)?.responseCode;
  const raw = node.parameters?.responseBody;
  let body: unknown = { ok: true };
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw.replace(/^=/, ''));
    } catch {
      body = { ok: true };
    }
  }
  return { status: typeof code === 'number' ? code : 200, body };
}

/** The public production webhook `/webhook/*path`: answers only for an active workflow's registered path. */
export function handleWebhook(store: N8nStore, req: SandboxRequest): SandboxResponse {
  const path = trimSlashes(req.params.path ?? '');
  const method = req.method.toUpperCase();
  const hit = store
    .all()
    .filter((w) => w.active)
    .flatMap(registrations)
    .find((r) => r.method === method && r.path === path);
  if (!hit)
    return {
      status: 404,
      body: { code: 404, message: `The requested webhook "${method} ${path}" is not registered.`, hint: HINT },
    };
  const responder = respondNode(hit.workflow, hit.node);
  if (responder) return respond(responder);
  if (hit.node.parameters?.responseMode === 'responseNode') {
    return { status: 500, body: { code: 0, message: 'No Respond to Webhook node found in the workflow' } };
  }
  return { status: 200, body: { message: 'Workflow was started' } };
}
