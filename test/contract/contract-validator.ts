import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, ValidationContext, type Document, type Operation } from 'openapi-backend';
import swagger2openapi from 'swagger2openapi';
import type { SandboxExchange } from '../../src/sandbox/framework/sandbox-server.js';

/**
 * Checks recorded sandbox traffic against the providers' official descriptions in CONTRACTS_DIR.
 * The validation is openapi-backend's (Ajv 8 + ajv-formats); this module only loads the files
 * (Swagger 2.0 converted by swagger2openapi, OpenAPI 3.0 schemas turned into JSON Schema by
 * @openapi-contrib/openapi-schema-to-json-schema), maps a recorded exchange onto its operation,
 * and names each disagreement.
 */
export type ContractName = 'supabase' | 'github' | 'vercel' | 'n8n' | 'n8n-1.x' | 'gitea';
export type Exchange = Omit<SandboxExchange, 'provider'>;
export type ProblemKind =
  | 'route'
  | 'security'
  | 'request'
  | 'undocumented-status'
  | 'content-type'
  | 'response-body'
  | 'response-headers'
  | 'error-shape';
export interface Problem {
  operationId: string;
  status: number;
  kind: ProblemKind;
  detail: string;
}

type Json = Record<string, unknown>;
const str = { type: 'string' };
const message = { type: 'object', required: ['message'], properties: { message: str } };
/** Each file, and the provider's own error envelope where the description gives an error no schema. */
const CONTRACTS: Record<ContractName, { file: string; errorShape: (components: Json) => Json }> = {
  supabase: { file: 'supabase-management.openapi.json', errorShape: () => message },
  github: { file: 'github.openapi.json', errorShape: (c) => ({ anyOf: [c['basic-error'], c['validation-error']] }) },
  vercel: {
    file: 'vercel.openapi.json',
    errorShape: () => ({
      type: 'object',
      required: ['error'],
      properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } } },
    }),
  },
  n8n: { file: 'n8n.openapi.json', errorShape: () => message },
  'n8n-1.x': { file: 'n8n-1.x.openapi.json', errorShape: () => message },
  gitea: {
    file: 'gitea.swagger.json',
    errorShape: () => ({ ...message, required: ['message', 'url'], properties: { message: str, url: str } }),
  },
};

/** CONTRACTS_DIR, else ../shared/contracts beside the repository; a missing file fails loudly. */
export function contractPath(name: ContractName): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = process.env.CONTRACTS_DIR || resolve(repoRoot, '..', 'shared', 'contracts');
  const file = join(dir, CONTRACTS[name].file);
  if (!existsSync(file)) {
    throw new Error(
      `contract tests need the official API description ${CONTRACTS[name].file}, not found in ${dir}: set CONTRACTS_DIR to the folder holding it (CI uses ../shared/contracts)`,
    );
  }
  return file;
}

export interface Contract {
  name: ContractName;
  api: OpenAPIBackend;
  /** The server path every operation sits under (`/api/v1` for n8n and Gitea). */
  basePath: string;
  check(x: Exchange): Problem[];
}

const cache = new Map<ContractName, Promise<Contract>>();
/** Loaded, converted and compiled once per test process. */
export const loadContract = (name: ContractName): Promise<Contract> => {
  if (!cache.has(name)) cache.set(name, build(name));
  return cache.get(name)!;
};

async function build(name: ContractName): Promise<Contract> {
  let doc = JSON.parse(readFileSync(contractPath(name), 'utf8')) as Json;
  if (doc.swagger)
    doc = (await swagger2openapi.convertObj(doc as never, { patch: true, warnOnly: true })).openapi as unknown as Json;
  toJsonSchemas(doc);
  for (const op of operationsOf(doc)) {
    op.operationId ??= op['x-eov-operation-id']; // n8n 1.x names its operations only for its own validator
    // `explode` "has no effect" on a primitive (OAS 3.0.3), but openapi-backend splits such a value at commas.
    for (const p of (op.parameters ?? []) as Json[])
      if (!['array', 'object'].includes(String((p.schema as Json | undefined)?.type))) delete p.explode;
  }
  const api = new OpenAPIBackend({
    definition: doc as unknown as Document,
    // Skips openapi-schema-validator's check of the document itself (it refuses Vercel's repeated enum
    // values; the contracts README records that every file passes swagger-parser's validate()).
    quick: true,
    // Vercel's file repeats enum values (legal for validation, refused by Ajv's meta-schema check).
    ajvOpts: { validateSchema: false, allErrors: true, verbose: true },
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      // n8n's own format: a string holding JSON.
      return ajv.addFormat('jsonString', (s: string) => isJson(s));
    },
  });
  await api.init();
  // Compile every operation's validators now, not between two requests of a test.
  for (const { operationId } of api.router.getOperations()) {
    if (!operationId) continue;
    api.validator.getRequestValidatorsForOperation(operationId);
    api.validator.getStatusBasedResponseValidatorForOperation(operationId);
    api.validator.getResponseHeadersValidatorForOperation(operationId);
  }
  const servers = (doc.servers as { url: string }[] | undefined) ?? [];
  const basePath = new URL(servers[0]?.url ?? '/', 'http://server').pathname.replace(/\/+$/, '');
  const components = (api.definition.components?.schemas ?? {}) as Json;
  const errorShape = api.validator.getAjv(ValidationContext.Response).compile(CONTRACTS[name].errorShape(components));
  return { name, api, basePath, check: (x) => checkExchange(api, basePath, errorShape, x) };
}

function checkExchange(
  api: OpenAPIBackend,
  basePath: string,
  errorShape: (b: unknown) => boolean,
  x: Exchange,
): Problem[] {
  const status = x.response.status;
  const problems: Problem[] = [];
  const problem = (kind: ProblemKind, detail: string) =>
    problems.push({ operationId: x.operationId, status, kind, detail });
  const shape = () =>
    void (
      status >= 400 &&
      !errorShape(x.response.body) &&
      problem('error-shape', `${JSON.stringify(x.response.body)?.slice(0, 200)}`)
    );
  const path = x.path.startsWith(`${basePath}/`) ? x.path.slice(basePath.length) : x.path;
  const op = api.router.getOperation(x.operationId);
  if (!op) {
    const other = api.router.matchOperation({ method: x.method, path, headers: {} });
    if (other) problem('route', `the description has ${other.operationId} for ${x.method} ${x.path}`);
    if (x.operationId !== 'unknown') problem('route', `no operation ${x.operationId}`);
    shape();
    return problems;
  }
  const canonical = canonicalPath(op.path, path);
  if (op.method !== x.method.toLowerCase() || !canonical)
    problem('route', `${x.method} ${x.path} is not ${op.method.toUpperCase()} ${op.path}`);
  if (!authorized(api, op, x)) problem('security', `none of ${JSON.stringify(op.security)} is met`);
  const headers = Object.fromEntries(
    Object.entries(x.headers).filter((e): e is [string, string | string[]] => e[1] !== undefined),
  );
  const req = api.validator.validateRequest(
    { method: x.method, path: canonical ?? path, query: x.query, headers, body: x.body },
    op,
  );
  if (req.errors) problem('request', ajvText(req.errors));
  const accepted = Object.keys((op.requestBody as { content?: Json } | undefined)?.content ?? {});
  const sent = mediaType(x.headers['content-type']);
  if (x.body !== undefined && accepted.length && !accepted.includes(sent))
    problem('request', `Content-Type ${sent} is not ${accepted.join(' | ')}`);

  const responses = (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
  const documented = responses[status] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
  if (!documented) {
    problem('undocumented-status', `${status} is not among ${Object.keys(responses).join(', ')}`);
    shape();
    return problems;
  }
  const types = Object.keys(documented.content ?? {});
  const contentType = mediaType(x.response.headers['content-type']);
  if (types.length && x.response.body !== undefined && !types.includes(contentType))
    problem('content-type', `${contentType} is not ${types.join(' | ')}`);
  if (types.length) {
    const res = api.validator.validateResponse(x.response.body ?? null, op, status);
    if (res.errors) problem('response-body', ajvText(res.errors));
  } else shape();
  const hdr = api.validator.validateResponseHeaders(x.response.headers, op, {
    statusCode: status,
    setMatchType: 'superset' as never,
  });
  if (hdr.errors) problem('response-headers', ajvText(hdr.errors));
  return problems;
}

/** The request path with each template parameter as one segment; a trailing one (`{path}`, `{filepath}`) may span slashes. */
function canonicalPath(template: string, path: string): string | undefined {
  const parts = template.split(/(\{[^}]+\})/);
  const last = parts.length - 2;
  const pattern = parts.map((p, i) =>
    !p.startsWith('{')
      ? p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      : i === last && parts[i + 1] === ''
        ? '(.+)'
        : '([^/]+)',
  );
  const match = new RegExp(`^${pattern.join('')}$`).exec(path);
  if (!match) return undefined;
  let n = 0;
  return parts.map((p) => (p.startsWith('{') ? match[++n]!.split('/').join('%2F') : p)).join('');
}

/** One of the operation's security requirements is met (every scheme in it). */
function authorized(api: OpenAPIBackend, op: Operation, x: Exchange): boolean {
  const requirements = op.security ?? [];
  const schemes = (api.definition.components?.securitySchemes ?? {}) as unknown as Record<string, Json>;
  const header = (n: string) => x.headers[n.toLowerCase()];
  const met = (name: string): boolean => {
    const s = schemes[name] ?? {};
    if (s.type === 'http')
      return new RegExp(`^${String(s.scheme)}\\s+\\S+`, 'i').test(String(header('authorization') ?? ''));
    if (s.type === 'oauth2') return /^bearer\s+\S+/i.test(String(header('authorization') ?? ''));
    if (s.type !== 'apiKey') return false;
    if (s.in === 'header') return Boolean(header(String(s.name)));
    if (s.in === 'query') return x.query[String(s.name)] !== undefined;
    return String(header('cookie') ?? '').includes(`${String(s.name)}=`);
  };
  return requirements.length === 0 || requirements.some((r) => Object.keys(r).every(met));
}

const mediaType = (header: string | string[] | undefined): string =>
  String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();

const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** Each error with where, what, and the value found (Ajv's `verbose`). */
const ajvText = (errors: { instancePath: string; message?: string; params: unknown; data?: unknown }[]) =>
  errors
    .map(
      (e) =>
        `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)} (got ${JSON.stringify(e.data)?.slice(0, 60)})`,
    )
    .join('\n');

/** OpenAPI 3.0 schema objects (nullable, formats) as JSON Schema for Ajv, in place. */
function toJsonSchemas(doc: Json): void {
  const convert = (s: unknown) => {
    const j = fromSchema(s as Json, { cloneSchema: false }) as Json;
    delete j.$schema;
    return j;
  };
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'schema' && v && typeof v === 'object') (node as Json)[k] = convert(v);
      else visit(v);
    }
  };
  const components = (doc.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Json;
  for (const [k, s] of Object.entries(schemas)) schemas[k] = convert(s);
  visit(doc.paths);
  for (const [k, v] of Object.entries(components)) if (k !== 'schemas') visit(v);
}

function operationsOf(doc: Json): Json[] {
  const methods = ['get', 'put', 'post', 'delete', 'patch'];
  return Object.values(doc.paths as Record<string, Json>).flatMap((item) =>
    methods.flatMap((m) => (item[m] ? [item[m] as Json] : [])),
  );
}

/** A known disagreement between the description and the real service, which the sandbox plays on purpose. */
export interface Exception {
  /** `operationId status kind`. */
  key: string;
  because: string;
  /** When given, every error in the problem's detail must match it (nothing else may hide behind the exception). */
  only?: RegExp;
}

export const keyOf = (p: Problem): string => `${p.operationId} ${p.status} ${p.kind}`;

/** The problems no exception explains, and the keys of the exceptions that were needed (sorted, unique). */
export function explain(problems: Problem[], exceptions: Exception[]): { unexplained: Problem[]; used: string[] } {
  const used = new Set<string>();
  const unexplained = problems.filter((p) => {
    const e = exceptions.find(
      (x) => x.key === keyOf(p) && (!x.only || p.detail.split('\n').every((d) => x.only!.test(d))),
    );
    if (e) used.add(e.key);
    return !e;
  });
  return { unexplained, used: [...used].sort() };
}
