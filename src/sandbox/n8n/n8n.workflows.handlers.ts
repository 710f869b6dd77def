import type { EmulatorRuntime, SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { workflowView } from './n8n.presenter.js';
import { SANDBOX_PROJECT, type N8nNode, type N8nStore, type Workflow } from './n8n.state.js';
import { activateBodyErrors, createBodyErrors } from './n8n.validation.js';
import type { N8nVersion } from './n8n.versions.js';
import { conflicts, isTriggerNode } from './n8n.webhooks.js';

export interface N8nContext {
  store: N8nStore;
  version: N8nVersion;
  runtime: EmulatorRuntime;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 250;
const message = (status: number, text: string): SandboxResponse => ({ status, body: { message: text } });
const notFound = (): SandboxResponse => message(404, 'Not Found');

/** 415 when a body comes without a JSON Content-Type (n8n's validator refuses it). */
function mediaTypeError(req: SandboxRequest, bodyRequired: boolean): SandboxResponse | undefined {
  if (!bodyRequired && req.body === undefined) return undefined;
  const ct = req.headers['content-type'];
  return ct && /^application\/json\b/i.test(ct)
    ? undefined
    : message(415, `unsupported media type ${ct ?? 'undefined'}`);
}

const workflowOf = (ctx: N8nContext, req: SandboxRequest): Workflow | undefined =>
  ctx.store.get(req.params[ctx.version.idParam] ?? '');
const pinned = (req: SandboxRequest): boolean => req.query.excludePinnedData !== 'true';

/** The `name` filter: a case-insensitive substring match in which `%` and `_` are SQL LIKE wildcards. */
function likeFilter(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(body, 'is');
}

interface Cursor {
  offset: number;
  limit: number;
}
const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(raw: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    return Number.isInteger(c.offset) && Number.isInteger(c.limit) ? (c as Cursor) : undefined;
  } catch {
    return undefined;
  }
}

/** `getWorkflows`: `{data, nextCursor}`; limit 100 by default, at most 250. */
export function listWorkflows(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const q = req.query;
  let limit = DEFAULT_LIMIT;
  let offset = 0;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!Number.isFinite(limit)) return message(400, 'request/query/limit must be number');
    if (limit > MAX_LIMIT) return message(400, `request/query/limit must be <= ${MAX_LIMIT}`);
    limit = Math.max(1, Math.floor(limit));
  }
  if (ctx.version.major === 2 && q.offset !== undefined) {
    offset = Number(q.offset);
    if (!Number.isInteger(offset) || offset < 0) return message(400, 'request/query/offset must be >= 0');
  }
  if (q.cursor !== undefined) {
    const cursor = decodeCursor(q.cursor);
    if (!cursor) return message(400, 'An invalid cursor was provided');
    ({ offset, limit } = cursor);
  }
  if (q.active !== undefined && q.active !== 'true' && q.active !== 'false') {
    return message(400, 'request/query/active must be equal to one of the allowed values: true, false');
  }
  const name = q.name !== undefined ? likeFilter(q.name) : undefined;
  const matches = ctx.store
    .all()
    .filter((w) => q.active === undefined || w.active === (q.active === 'true'))
    .filter((w) => !name || name.test(w.name))
    // Every workflow is in the one sandbox project and has no tags.
    .filter(() => (q.projectId === undefined || q.projectId === SANDBOX_PROJECT.id) && !q.tags);
  const page = matches.slice(offset, offset + limit);
  const nextCursor = offset + limit < matches.length ? encodeCursor({ offset: offset + limit, limit }) : null;
  return {
    status: 200,
    body: {
      data: page.map((w) => workflowView(w, { shared: true, pinData: pinned(req), major: ctx.version.major })),
      nextCursor,
    },
  };
}

/** `createWorkflow`: 200 (not 201) with the new workflow; names need not be unique. */
export function createWorkflow(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const unsupported = mediaTypeError(req, true);
  if (unsupported) return unsupported;
  const errors = createBodyErrors(req.body, ctx.version);
  if (errors.length > 0) return message(400, errors.join(', '));
  const b = req.body as Record<string, unknown>;
  const wf = ctx.store.create({
    name: b.name as string,
    nodes: b.nodes as N8nNode[],
    connections: b.connections as Record<string, unknown>,
    settings: b.settings as Record<string, unknown>,
    ...(b.staticData !== undefined ? { staticData: b.staticData } : {}),
    ...(b.pinData !== undefined ? { pinData: b.pinData } : {}),
    ...(Array.isArray(b.nodeGroups) ? { nodeGroups: b.nodeGroups } : {}),
  });
  return { status: 200, body: workflowView(wf, { shared: true, major: ctx.version.major }) };
}

export function getWorkflow(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const wf = workflowOf(ctx, req);
  return wf
    ? { status: 200, body: workflowView(wf, { shared: true, pinData: pinned(req), major: ctx.version.major }) }
    : notFound();
}

/** `deleteWorkflow`: 200 with the deleted workflow, active or not; its webhooks go with it. */
export function deleteWorkflow(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const wf = workflowOf(ctx, req);
  if (!wf) return notFound();
  ctx.store.remove(wf.id);
  return { status: 200, body: workflowView(wf, { shared: true, major: ctx.version.major }) };
}

/** `activateWorkflow` / `publishWorkflow`: idempotent 200; 400 without a trigger or on a webhook clash. */
export function activateWorkflow(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const unsupported = mediaTypeError(req, false);
  if (unsupported) return unsupported;
  const errors = activateBodyErrors(req.body, ctx.version);
  if (errors.length > 0) return message(400, errors.join(', '));
  const wf = workflowOf(ctx, req);
  if (!wf) return notFound();
  if (!wf.active) {
    if (!wf.nodes.some(isTriggerNode)) {
      return message(
        400,
        'Workflow has no node to start the workflow - at least one trigger, poller or webhook node is required',
      );
    }
    if (conflicts(ctx.store, wf)) return message(400, 'There is a conflict with one of the webhooks.');
    wf.active = true;
    wf.updatedAt = ctx.runtime.now();
    ctx.store.saved(wf);
  }
  return { status: 200, body: workflowView(wf, { shared: ctx.version.major === 1, major: ctx.version.major }) };
}

/** `deactivateWorkflow` / `unpublishWorkflow`: 200, idempotent. */
export function deactivateWorkflow(ctx: N8nContext, req: SandboxRequest): SandboxResponse {
  const wf = workflowOf(ctx, req);
  if (!wf) return notFound();
  if (wf.active) {
    wf.active = false;
    wf.updatedAt = ctx.runtime.now();
    ctx.store.saved(wf);
  }
  return { status: 200, body: workflowView(wf, { shared: true, major: ctx.version.major }) };
}
