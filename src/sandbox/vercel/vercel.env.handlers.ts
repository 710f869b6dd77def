import type { SandboxRequest, SandboxResponse } from '../framework/emulator.types.js';
import { badRequest, projectNotFound, vercelError } from './vercel.errors.js';
import { envView } from './vercel.project.presenter.js';
import type { VercelContext } from './vercel.projects.handlers.js';
import { randomId, type EnvTarget, type EnvType, type EnvVar, type Project } from './vercel.state.js';

const TYPES: EnvType[] = ['system', 'secret', 'encrypted', 'plain', 'sensitive'];
const TARGETS: EnvTarget[] = ['production', 'preview', 'development'];
const KEY_RULE = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Input = Pick<EnvVar, 'key' | 'value' | 'type' | 'target' | 'customEnvironmentIds' | 'gitBranch' | 'comment'>;

function parseItem(raw: unknown, at: string): Input | SandboxResponse {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!o) return badRequest(`Invalid request: \`${at || 'body'}\` should be object.`);
  for (const field of ['key', 'value', 'type']) {
    if (o[field] === undefined)
      return badRequest(`Invalid request: ${at ? `\`${at}\` ` : ''}missing required property \`${field}\`.`);
    if (typeof o[field] !== 'string') return badRequest(`Invalid request: \`${at}${field}\` should be string.`);
  }
  const { key, value, type } = o as { key: string; value: string; type: string };
  if (!KEY_RULE.test(key))
    return badRequest(
      'The key can only contain letters, digits and underscores. Furthermore, it cannot start with a digit.',
    );
  if (!TYPES.includes(type as EnvType))
    return badRequest(
      `Invalid request: \`${at}type\` should be equal to one of the allowed values "${TYPES.join('", "')}".`,
    );
  const target = o.target;
  const custom = o.customEnvironmentIds;
  if (target === undefined && custom === undefined) {
    return badRequest(
      `Invalid request: ${at ? `\`${at}\` ` : ''}should have required property \`target\` or \`customEnvironmentIds\`.`,
    );
  }
  if (target !== undefined && (!Array.isArray(target) || !target.every((t) => TARGETS.includes(t as EnvTarget)))) {
    return badRequest(`Invalid request: \`${at}target\` should be an array of "${TARGETS.join('", "')}".`);
  }
  if (custom !== undefined && (!Array.isArray(custom) || !custom.every((c) => typeof c === 'string'))) {
    return badRequest(`Invalid request: \`${at}customEnvironmentIds\` should be an array of strings.`);
  }
  return {
    key,
    value,
    type: type as EnvType,
    target: [...new Set((target as EnvTarget[] | undefined) ?? [])],
    customEnvironmentIds: Array.isArray(custom) ? custom.map(String) : [],
    ...(typeof o.gitBranch === 'string' ? { gitBranch: o.gitBranch } : {}),
    ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
  };
}

/** Existing variables with the same key (and branch) that share a target or a custom environment. */
const clashes = (project: Project, input: Input): EnvVar[] =>
  project.env.filter(
    (v) =>
      v.key === input.key &&
      v.gitBranch === input.gitBranch &&
      (v.target.some((t) => input.target.includes(t)) ||
        v.customEnvironmentIds.some((c) => input.customEnvironmentIds.includes(c))),
  );

function alreadyExists(project: Project, input: Input, existing: EnvVar): Record<string, unknown> {
  return {
    code: 'ENV_ALREADY_EXISTS',
    message: `A variable with the name \`${input.key}\` already exists for the target ${existing.target.join(',')}${input.gitBranch ? ` on branch ${input.gitBranch}` : ''}`,
    key: input.key,
    envVarId: existing.id,
    envVarKey: input.key,
    target: existing.target,
    project: project.id,
  };
}

/** Applies one variable: a new one, an overwrite (upsert), or the ENV_ALREADY_EXISTS error. */
function apply(
  ctx: VercelContext,
  project: Project,
  input: Input,
  upsert: boolean,
): EnvVar | { error: Record<string, unknown> } {
  const now = ctx.runtime.now();
  const [first, ...others] = clashes(project, input);
  if (first && !upsert) return { error: alreadyExists(project, input, first) };
  for (const o of others) {
    o.target = o.target.filter((t) => !input.target.includes(t));
    o.customEnvironmentIds = o.customEnvironmentIds.filter((c) => !input.customEnvironmentIds.includes(c));
  }
  project.env = project.env.filter((v) => v.target.length > 0 || v.customEnvironmentIds.length > 0);
  const cipher = randomId(44);
  if (first) {
    Object.assign(first, input, { cipher, updatedAt: now });
    return first;
  }
  const created: EnvVar = { id: randomId(16), ...input, cipher, createdAt: now, updatedAt: now };
  project.env.push(created);
  return created;
}

/** `createProjectEnv`: 201 `{created, failed}`; a key that exists for a target is 403 unless `?upsert=true`. */
export function createProjectEnv(ctx: VercelContext, req: SandboxRequest): SandboxResponse {
  const project = ctx.store.findProject(req.params.idOrName ?? '');
  if (!project) return projectNotFound();
  const batch = Array.isArray(req.body);
  const raws = batch ? (req.body as unknown[]) : [req.body];
  if (raws.length === 0) return badRequest('Invalid request: should NOT have fewer than 1 items.');
  const inputs: Input[] = [];
  for (const [i, raw] of raws.entries()) {
    const parsed = parseItem(raw, batch ? `[${i}].` : '');
    if ('status' in parsed) return parsed;
    inputs.push(parsed);
  }
  const upsert = req.query.upsert === 'true';
  const created: Record<string, unknown>[] = [];
  const failed: { error: Record<string, unknown> }[] = [];
  for (const input of inputs) {
    const result = apply(ctx, project, input, upsert);
    if ('error' in result) failed.push(result);
    else created.push(envView(result));
  }
  // The project's variables were changed in place.
  ctx.store.projects.touch(project.id);
  if (created.length === 0 && failed[0]) {
    const { code, message, ...extra } = failed[0].error as { code: string; message: string };
    return vercelError(403, code, message, extra);
  }
  project.updatedAt = ctx.runtime.now();
  return { status: 201, body: { created: batch ? created : created[0], failed } };
}
