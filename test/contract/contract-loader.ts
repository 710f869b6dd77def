import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, ValidationContext, type Document } from 'openapi-backend';
import swagger2openapi from 'swagger2openapi';

/**
 * Reads a provider's official description from CONTRACTS_DIR (never copied into the project) and
 * makes it an initialised openapi-backend with every validator compiled: Swagger 2.0 converted by
 * swagger2openapi, OpenAPI 3.0 schema objects turned into JSON Schema for Ajv by
 * @openapi-contrib/openapi-schema-to-json-schema, formats from ajv-formats.
 */
export type ContractName = 'supabase' | 'github' | 'vercel' | 'n8n' | 'n8n-1.x' | 'gitea';
export type Json = Record<string, unknown>;

const str = { type: 'string' };
const message = { type: 'object', required: ['message'], properties: { message: str } };
/** Each file, and the provider's own error envelope, checked where the description gives an error no schema. */
const FILES: Record<ContractName, { file: string; errorShape: (schemas: Json) => Json }> = {
  supabase: { file: 'supabase-management.openapi.json', errorShape: () => message },
  github: { file: 'github.openapi.json', errorShape: (s) => ({ anyOf: [s['basic-error'], s['validation-error']] }) },
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
    errorShape: () => ({ type: 'object', required: ['message', 'url'], properties: { message: str, url: str } }),
  },
};

/** CONTRACTS_DIR, else ../shared/contracts beside the repository; a missing file fails loudly. */
export function contractPath(name: ContractName): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = process.env.CONTRACTS_DIR || resolve(repoRoot, '..', 'shared', 'contracts');
  const file = join(dir, FILES[name].file);
  if (!existsSync(file)) {
    throw new Error(
      `contract tests need the official API description ${FILES[name].file}, not found in ${dir}: set CONTRACTS_DIR to the folder holding it (CI uses ../shared/contracts)`,
    );
  }
  return file;
}

export interface LoadedContract {
  api: OpenAPIBackend;
  /** The server path every operation sits under (`/api/v1` for n8n and Gitea). */
  basePath: string;
  /** Every operation the file describes, sorted. */
  operationIds: string[];
  /** The provider's own error envelope. */
  errorShape: (body: unknown) => boolean;
}

export async function loadDescription(name: ContractName): Promise<LoadedContract> {
  let doc = JSON.parse(readFileSync(contractPath(name), 'utf8')) as Json;
  if (doc.swagger) {
    const converted = await swagger2openapi.convertObj(doc as never, { patch: true, warnOnly: true });
    doc = converted.openapi as unknown as Json;
  }
  toJsonSchemas(doc);
  for (const op of operationsOf(doc)) {
    op.operationId ??= op['x-eov-operation-id']; // n8n 1.x names its operations only for its own validator
    // `explode` "has no effect" on a primitive (OAS 3.0.3), but openapi-backend splits such a value at commas.
    for (const p of (op.parameters ?? []) as Json[]) {
      if (!['array', 'object'].includes(String((p.schema as Json | undefined)?.type))) delete p.explode;
    }
  }
  const api = new OpenAPIBackend({
    definition: doc as unknown as Document,
    // Skips openapi-schema-validator's check of the document itself, which refuses Vercel's repeated
    // enum values (the contracts README records that every file passes swagger-parser's validate()).
    quick: true,
    // Same reason for Ajv's meta-schema check; every error, with the value found.
    ajvOpts: { validateSchema: false, allErrors: true, verbose: true },
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      return ajv.addFormat('jsonString', isJsonText); // n8n's own format: a string holding JSON
    },
  });
  await api.init();
  // Compile every operation's validators now, once per process, not between two requests of a test.
  const operationIds = api.router
    .getOperations()
    .flatMap((op) => (op.operationId ? [op.operationId] : []))
    .sort();
  for (const id of operationIds) {
    api.validator.getRequestValidatorsForOperation(id);
    api.validator.getStatusBasedResponseValidatorForOperation(id);
    api.validator.getResponseHeadersValidatorForOperation(id);
  }
  const servers = (doc.servers as { url: string }[] | undefined) ?? [];
  const basePath = new URL(servers[0]?.url ?? '/', 'http://server').pathname.replace(/\/+$/, '');
  const schemas = (api.definition.components?.schemas ?? {}) as Json;
  const errorShape = api.validator.getAjv(ValidationContext.Response).compile(FILES[name].errorShape(schemas));
  return { api, basePath, operationIds, errorShape: (body) => errorShape(body) };
}

/** OpenAPI 3.0 schema objects (`nullable`, OAS formats) as JSON Schema, in place. */
function toJsonSchemas(doc: Json): void {
  const convert = (s: unknown) => {
    const j = fromSchema(s as Json, { cloneSchema: false }) as Json;
    delete j.$schema; // draft-04, which Ajv 8 does not load
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

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
