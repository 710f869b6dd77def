import { createRequire } from 'node:module';
import addFormats from 'ajv-formats';

/**
 * Checks that an OpenAPI document is a valid OpenAPI 3.1 document as far as this project can tell
 * without the official OAS 3.1 schema (no package here ships it): every fixed field of the
 * objects the document uses, against a JSON Schema of them written from the OAS 3.1 text; every
 * Schema Object against the JSON Schema 2020-12 meta-schema; operation ids unique; path
 * templates declared; security schemes defined; every $ref resolving. Returns the problems.
 *
 * Ajv 2020 is the copy ajv-formats extends (a dev dependency); the Ajv at the top of
 * node_modules is another major version.
 */
type Json = Record<string, unknown>;
interface AjvLike {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
  validateSchema(schema: object): boolean;
  errorsText(errors?: unknown): string;
  errors?: unknown;
}
const requireFromFormats = createRequire(createRequire(import.meta.url).resolve('ajv-formats'));
const { Ajv2020 } = requireFromFormats('ajv/dist/2020') as { Ajv2020: new (o: object) => AjvLike };

export function newAjv2020(): AjvLike {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv as never);
  return ajv;
}

const ext = { '^x-': {} };
const closed = (properties: Json, required: string[] = []) => ({
  type: 'object',
  required,
  properties,
  patternProperties: ext,
  additionalProperties: false,
});
const str = { type: 'string' };
const refOr = (def: string) => ({ anyOf: [{ $ref: `#/$defs/${def}` }, { $ref: '#/$defs/reference' }] });
const map = (def: string) => ({ type: 'object', additionalProperties: refOr(def) });
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The OAS 3.1 objects' fixed fields (sections 4.8.x of the specification), as JSON Schema 2020-12. */
const OAS_31_OBJECTS = {
  $defs: {
    reference: closed({ $ref: str, summary: str, description: str }, ['$ref']),
    mediaType: closed({ schema: {}, example: {}, examples: { type: 'object' }, encoding: { type: 'object' } }),
    content: {
      type: 'object',
      propertyNames: { pattern: '^[\\w.+-]+/[\\w.+*-]+$' },
      additionalProperties: { $ref: '#/$defs/mediaType' },
    },
    parameter: {
      ...closed(
        {
          name: str,
          in: { enum: ['query', 'header', 'path', 'cookie'] },
          description: str,
          required: { type: 'boolean' },
          deprecated: { type: 'boolean' },
          allowEmptyValue: { type: 'boolean' },
          style: str,
          explode: { type: 'boolean' },
          allowReserved: { type: 'boolean' },
          schema: {},
          content: { $ref: '#/$defs/content' },
          example: {},
          examples: { type: 'object' },
        },
        ['name', 'in'],
      ),
      if: { properties: { in: { const: 'path' } } },
      then: { required: ['required'], properties: { required: { const: true } } },
      oneOf: [{ required: ['schema'] }, { required: ['content'] }],
    },
    requestBody: closed({ description: str, content: { $ref: '#/$defs/content' }, required: { type: 'boolean' } }, [
      'content',
    ]),
    response: closed(
      {
        description: str,
        headers: { type: 'object' },
        content: { $ref: '#/$defs/content' },
        links: { type: 'object' },
      },
      ['description'],
    ),
    securityRequirement: { type: 'object', additionalProperties: { type: 'array', items: str } },
    operation: closed(
      {
        tags: { type: 'array', items: str },
        summary: str,
        description: str,
        externalDocs: { type: 'object' },
        operationId: str,
        parameters: { type: 'array', items: refOr('parameter') },
        requestBody: refOr('requestBody'),
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: refOr('response'),
        },
        callbacks: { type: 'object' },
        deprecated: { type: 'boolean' },
        security: { type: 'array', items: { $ref: '#/$defs/securityRequirement' } },
        servers: { type: 'array' },
      },
      ['responses'],
    ),
    pathItem: closed({
      $ref: str,
      summary: str,
      description: str,
      servers: { type: 'array' },
      parameters: { type: 'array', items: refOr('parameter') },
      ...Object.fromEntries(METHODS.map((m) => [m, { $ref: '#/$defs/operation' }])),
    }),
    securityScheme: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } },
      if: { properties: { type: { const: 'http' } } },
      then: { required: ['scheme'] },
    },
  },
  ...closed(
    {
      openapi: { type: 'string', pattern: '^3\\.1\\.\\d+(-.+)?$' },
      info: closed(
        {
          title: str,
          summary: str,
          description: str,
          termsOfService: str,
          contact: { type: 'object' },
          license: { type: 'object' },
          version: str,
        },
        ['title', 'version'],
      ),
      jsonSchemaDialect: str,
      servers: { type: 'array' },
      paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/$defs/pathItem' } },
      webhooks: { type: 'object' },
      components: closed({
        schemas: { type: 'object' },
        responses: map('response'),
        parameters: map('parameter'),
        examples: { type: 'object' },
        requestBodies: map('requestBody'),
        headers: { type: 'object' },
        securitySchemes: map('securityScheme'),
        links: { type: 'object' },
        callbacks: { type: 'object' },
        pathItems: { type: 'object' },
      }),
      security: { type: 'array', items: { $ref: '#/$defs/securityRequirement' } },
      tags: { type: 'array' },
      externalDocs: { type: 'object' },
    },
    ['openapi', 'info'],
  ),
  anyOf: [{ required: ['paths'] }, { required: ['components'] }, { required: ['webhooks'] }],
};

export function openApi31Problems(doc: Json): string[] {
  const ajv = newAjv2020();
  const problems: string[] = [];
  const validate = ajv.compile(OAS_31_OBJECTS);
  if (!validate(doc)) problems.push(`structure: ${ajv.errorsText(validate.errors)}`);

  const schemas: [string, unknown][] = Object.entries(
    ((doc.components as Json | undefined)?.schemas ?? {}) as Json,
  ).map(([k, v]) => [`#/components/schemas/${k}`, v]);
  const ids = new Set<string>();
  const schemes = Object.keys((doc.components as Json | undefined)?.securitySchemes ?? {});
  const requirements = [...((doc.security ?? []) as Json[])];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof op.operationId === 'string') {
        if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is not unique`);
        ids.add(op.operationId);
      }
      const params = (op.parameters ?? []) as Json[];
      for (const name of templated)
        if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${where}: {${name}} not declared`);
      params.forEach((p, i) => schemas.push([`${where} parameter ${i}`, p.schema]));
      requirements.push(...((op.security ?? []) as Json[]));
      const bodies = [op.requestBody, ...Object.values((op.responses ?? {}) as Json)] as (Json | undefined)[];
      for (const b of bodies)
        for (const [type, media] of Object.entries((b?.content ?? {}) as Record<string, Json>))
          schemas.push([`${where} ${type}`, media.schema]);
    }
  }
  for (const req of requirements)
    for (const name of Object.keys(req)) if (!schemes.includes(name)) problems.push(`security ${name} is not defined`);
  for (const [where, schema] of schemas)
    if (schema !== undefined && !ajv.validateSchema(schema as object))
      problems.push(`${where} is not JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`);
  for (const ref of refsIn(doc)) if (!resolves(doc, ref)) problems.push(`$ref ${ref} does not resolve in the document`);
  return problems;
}

function refsIn(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)));
}

function resolves(doc: Json, ref: string): boolean {
  if (!ref.startsWith('#/')) return false;
  let at: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!at || typeof at !== 'object' || !(key in at)) return false;
    at = (at as Json)[key];
  }
  return true;
}
