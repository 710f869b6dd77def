import { z } from 'zod';
import { provisionRequestSchema } from '../shared/provision-request.js';
import {
  runViewSchema,
  errorViewSchema,
  runErrorSchema,
  resourcesSchema,
  stepViewSchema,
} from '../runs/run-view.schema.js';
import { callbackAttemptSchema } from '../runs/callback-attempt.js';
import { acceptedSchema, actionAcceptedSchema, errorBodySchema, runListSchema } from './api.schemas.js';
import { listQuery, runIdParam } from './provisioning.schema.js';

/**
 * The API's OpenAPI 3.1 description, generated from the zod schemas the API validates
 * requests with and types its answers with (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 * Nothing here restates a field: what is not derived from a schema is the routes' prose.
 */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, Operation>> };
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
}

type Schema = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });

/** Named schemas as `components.schemas`, each nested named one by `$ref`; zod's own keys dropped. */
function components(io: 'input' | 'output', named: Record<string, z.ZodType>): Record<string, Schema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, target: 'draft-2020-12', uri: (id) => ref(id).$ref });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, withoutIds(s as Schema)]));
}

function withoutIds(schema: Schema): Schema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

const errors = {
  400: 'The body, a query parameter or the path is invalid (`VALIDATION_FAILED`, naming each field).',
  401: 'No token, or an unknown one (`UNAUTHENTICATED`).',
  403: 'The token is a viewer token and the action needs admin (`FORBIDDEN`).',
  404: 'No such run (`NOT_FOUND`).',
  409: 'The run is in a state that does not allow this (`INVALID_STATE`, with `details.state`).',
  413: 'The body is over 16 KiB (`PAYLOAD_TOO_LARGE`).',
} as const;
const error = (status: keyof typeof errors, description: string = errors[status]) => ({
  [status]: { description, content: json(ref('ErrorBody')) },
});

/** The version of this description of the API (its routes are not versioned in the path). */
const API_VERSION = '1.0.0';

export function buildOpenApiDocument(options: { allowLoopbackCallbacks: boolean }): OpenApiDocument {
  const query = z.toJSONSchema(listQuery, { io: 'input', target: 'draft-2020-12' }) as Schema & {
    properties: Record<string, Schema>;
    required?: string[];
  };
  const runId = {
    name: 'runId',
    in: 'path',
    required: true,
    schema: withoutIds(z.toJSONSchema(runIdParam, { target: 'draft-2020-12' })),
  };
  const action = (verb: string, operationId: string, summary: string, description: string): Operation => ({
    operationId,
    summary,
    description,
    parameters: [runId],
    responses: {
      202: { description: `The ${verb} is under way.`, content: json(ref('ActionAccepted')) },
      ...error(401),
      ...error(403),
      ...error(404),
      ...error(409),
    },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: 'client-provisioner',
      version: API_VERSION,
      description:
        "Provisions a client's stack (Supabase, GitHub, Vercel, n8n, Gitea backup) as a run that either finishes completely or rolls back completely. " +
        'Every route under /api takes `Authorization: Bearer <token>`; admin tokens may act, viewer tokens read.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/provisioning': {
        post: {
          operationId: 'startProvisioning',
          summary: 'Provision a client',
          description:
            'Starts a run and answers at once; provisioning takes minutes. The same client already in flight answers 202 with its run (`existing: true`). ' +
            'When the run ends, a `callbackUrl` receives a POST signed with `X-Provisioner-Signature`.',
          requestBody: {
            required: true,
            description:
              'Strict: unknown keys are refused. `callbackUrl` must be https without credentials' +
              (options.allowLoopbackCallbacks ? ' (or http on loopback: this server runs in sandbox mode).' : '.'),
            content: json(ref('ProvisionRequest')),
          },
          responses: {
            202: { description: 'The run is queued; read it at `statusUrl`.', content: json(ref('Accepted')) },
            ...error(400),
            ...error(401),
            ...error(403),
            ...error(
              409,
              'The client is already provisioned (`CLIENT_ALREADY_PROVISIONED`) or its last rollback failed (`CLIENT_NEEDS_ATTENTION`); `details.runId` names that run.',
            ),
            ...error(413),
          },
        },
        get: {
          operationId: 'listRuns',
          summary: 'List runs, newest first',
          parameters: Object.entries(query.properties).map(([name, schema]) => ({
            name,
            in: 'query',
            required: query.required?.includes(name) ?? false,
            schema,
          })),
          responses: { 200: { description: 'The runs.', content: json(ref('RunList')) }, ...error(400), ...error(401) },
        },
      },
      '/api/provisioning/{runId}': {
        get: {
          operationId: 'getRun',
          summary: 'Read a run',
          description:
            "The run's state, each step's state, attempts and times, its resources (never a secret), its callbacks.",
          parameters: [runId],
          responses: { 200: { description: 'The run.', content: json(ref('RunView')) }, ...error(401), ...error(404) },
        },
      },
      '/api/provisioning/{runId}/retry': {
        post: action(
          'retry',
          'retryRun',
          'Retry a failed run',
          'Resumes a `failed` run from the steps that did not succeed (ROLLBACK_ON_FAILURE=manual).',
        ),
      },
      '/api/provisioning/{runId}/rollback': {
        post: action(
          'rollback',
          'rollbackRun',
          'Roll back or tear down a run',
          'Rolls back a `failed` run, tears down a `succeeded` one, or tries a `rollback_failed` one again.',
        ),
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          description: 'Readable with an API token or METRICS_TOKEN.',
          responses: {
            200: {
              description: 'Prometheus text format 0.0.4.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...error(401),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getHealth',
          summary: 'Liveness',
          security: [],
          responses: { 200: { description: 'The process answers.', content: json(status) } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          summary: 'Readiness: Redis answers',
          security: [],
          responses: {
            200: { description: 'Ready.', content: json(status) },
            503: { description: 'Redis does not answer.', content: json(status) },
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...components('input', {
          ProvisionRequest: provisionRequestSchema({ allowLoopbackHttp: options.allowLoopbackCallbacks }),
        }),
        ...components('output', {
          Accepted: acceptedSchema,
          ActionAccepted: actionAcceptedSchema,
          RunList: runListSchema,
          RunView: runViewSchema,
          StepView: stepViewSchema,
          RunError: runErrorSchema,
          ErrorView: errorViewSchema,
          Resources: resourcesSchema,
          CallbackAttempt: callbackAttemptSchema,
          ErrorBody: errorBodySchema,
        }),
      },
    },
  };
}

const status = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] };
