import { SetMatchType, type OpenAPIBackend, type Operation } from 'openapi-backend';
import type { SandboxExchange } from '../../src/sandbox/framework/sandbox-server.js';
import { loadDescription, type ContractName, type Json } from './contract-loader.js';

export { contractPath, type ContractName } from './contract-loader.js';

/**
 * Checks one recorded exchange against its operation in the provider's official description: the
 * route, the security scheme, the request (path, query, headers, body and its media type) and the
 * answer (a documented status, its media type, body and headers, or the provider's error envelope).
 * The validation proper is openapi-backend's (Ajv); this module maps the exchange onto it and names
 * each disagreement as a Problem. Known disagreements are Exceptions, asserted by the tests.
 */
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

export interface Contract {
  name: ContractName;
  /** Every operation the file describes, sorted. */
  operationIds: string[];
  check(x: Exchange): Problem[];
}

const cache = new Map<ContractName, Promise<Contract>>();
/** Loaded, converted and compiled once per test process. */
export function loadContract(name: ContractName): Promise<Contract> {
  let contract = cache.get(name);
  if (!contract) {
    contract = loadDescription(name).then(({ api, basePath, operationIds, errorShape }) => ({
      name,
      operationIds,
      check: (x: Exchange) => checkExchange(api, basePath, errorShape, x),
    }));
    cache.set(name, contract);
  }
  return contract;
}

function checkExchange(api: OpenAPIBackend, basePath: string, errorShape: (b: unknown) => boolean, x: Exchange) {
  const status = x.response.status;
  const problems: Problem[] = [];
  const problem = (kind: ProblemKind, detail: string) =>
    problems.push({ operationId: x.operationId, status, kind, detail });
  const checkErrorShape = () => {
    if (status >= 400 && !errorShape(x.response.body))
      problem('error-shape', JSON.stringify(x.response.body ?? null).slice(0, 200));
  };
  const path = x.path.startsWith(`${basePath}/`) ? x.path.slice(basePath.length) : x.path;

  const op = api.router.getOperation(x.operationId);
  if (!op) {
    // An undescribed call (`unknown`): the description must have no route for it either.
    const other = api.router.matchOperation({ method: x.method, path, headers: {} });
    if (other) problem('route', `the description has ${other.operationId} for ${x.method} ${x.path}`);
    if (x.operationId !== 'unknown') problem('route', `no operation ${x.operationId}`);
    checkErrorShape();
    return problems;
  }
  const canonical = canonicalPath(op.path, path);
  if (op.method !== x.method.toLowerCase() || !canonical) {
    problem('route', `${x.method} ${x.path} is not ${op.method.toUpperCase()} ${op.path}`);
  }
  if (!authorized(api, op, x)) problem('security', `none of ${JSON.stringify(op.security)} is met`);
  const headers = Object.fromEntries(
    Object.entries(x.headers).filter((e): e is [string, string | string[]] => e[1] !== undefined),
  );
  const request = { method: x.method, path: canonical ?? path, query: x.query, headers, body: x.body };
  const req = api.validator.validateRequest(request, op);
  if (req.errors) problem('request', ajvText(req.errors));
  const accepted = Object.keys((op.requestBody as { content?: Json } | undefined)?.content ?? {});
  const sent = mediaType(x.headers['content-type']);
  if (x.body !== undefined && accepted.length && !accepted.includes(sent)) {
    problem('request', `Content-Type ${sent} is not ${accepted.join(' | ')}`);
  }

  const responses = (op.responses ?? {}) as Record<string, { content?: Json }>;
  const documented = responses[status] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
  if (!documented) {
    problem('undocumented-status', `${status} is not among ${Object.keys(responses).join(', ')}`);
    checkErrorShape();
    return problems;
  }
  const types = Object.keys(documented.content ?? {});
  const answered = mediaType(x.response.headers['content-type']);
  if (types.length && x.response.body !== undefined && !types.includes(answered)) {
    problem('content-type', `${answered} is not ${types.join(' | ')}`);
  }
  if (types.length) {
    const res = api.validator.validateResponse(x.response.body ?? null, op, status);
    if (res.errors) problem('response-body', ajvText(res.errors));
  } else checkErrorShape();
  // Superset: every header the answer documents must be there.
  const hdr = api.validator.validateResponseHeaders(x.response.headers, op, {
    statusCode: status,
    setMatchType: SetMatchType.Superset,
  });
  if (hdr.errors) problem('response-headers', ajvText(hdr.errors));
  return problems;
}

/** The path with each template parameter as one segment; a trailing one (`{path}`, `{filepath}`) may span slashes. */
function canonicalPath(template: string, path: string): string | undefined {
  const parts = template.split(/(\{[^}]+\})/);
  const trailing = parts.length - 2;
  const pattern = parts.map((p, i) => {
    if (!p.startsWith('{')) return p.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    return i === trailing && parts[i + 1] === '' ? '(.+)' : '([^/]+)';
  });
  const match = new RegExp(`^${pattern.join('')}$`).exec(path);
  if (!match) return undefined;
  let n = 0;
  return parts.map((p) => (p.startsWith('{') ? match[++n]!.split('/').join('%2F') : p)).join('');
}

/** One of the operation's security requirements is met: every scheme in it is presented the way it is declared. */
function authorized(api: OpenAPIBackend, op: Operation, x: Exchange): boolean {
  const schemes = (api.definition.components?.securitySchemes ?? {}) as unknown as Record<string, Json>;
  const header = (name: string) => String(x.headers[name.toLowerCase()] ?? '');
  const met = (name: string): boolean => {
    const s = schemes[name] ?? {};
    if (s.type === 'http') return new RegExp(`^${String(s.scheme)}\\s+\\S+`, 'i').test(header('authorization'));
    if (s.type === 'oauth2') return /^bearer\s+\S+/i.test(header('authorization'));
    if (s.type !== 'apiKey') return false;
    if (s.in === 'header') return header(String(s.name)) !== '';
    if (s.in === 'query') return x.query[String(s.name)] !== undefined;
    return header('cookie').includes(`${String(s.name)}=`);
  };
  const requirements = op.security ?? [];
  return requirements.length === 0 || requirements.some((r) => Object.keys(r).every(met));
}

const mediaType = (header: string | string[] | undefined): string =>
  String(header ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();

/** One line per Ajv error: where, what, and the value found (Ajv's `verbose`). */
const ajvText = (errors: { instancePath: string; message?: string; params: unknown; data?: unknown }[]) =>
  errors
    .map((e) => {
      const found = JSON.stringify(e.data)?.slice(0, 60);
      return `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)} (got ${found})`;
    })
    .join('\n');

/** A known disagreement between the description and the real service, which the sandbox plays on purpose. */
export interface Exception {
  /** `operationId status kind`. */
  key: string;
  because: string;
  /** When given, every error line of the problem must match it: nothing else can hide behind the exception. */
  only?: RegExp;
}

export const keyOf = (p: Problem): string => `${p.operationId} ${p.status} ${p.kind}`;

/** The problems no exception explains, and the keys of the exceptions that were needed (sorted, unique). */
export function explain(problems: Problem[], exceptions: Exception[]): { unexplained: Problem[]; used: string[] } {
  const used = new Set<string>();
  const covers = (e: Exception, p: Problem) =>
    e.key === keyOf(p) && (!e.only || p.detail.split('\n').every((line) => e.only!.test(line)));
  const unexplained = problems.filter((p) => {
    const e = exceptions.find((x) => covers(x, p));
    if (e) used.add(e.key);
    return !e;
  });
  return { unexplained, used: [...used].sort() };
}
