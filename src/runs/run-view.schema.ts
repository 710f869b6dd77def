import { z } from 'zod';
import type { ErrorView } from '../shared/errors.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import { callbackAttemptSchema } from './callback-attempt.js';
import { RUN_STATES, STEP_STATES, type RunError } from './run.types.js';

/**
 * The run as the API answers it, written once: `viewRun` is typed by these schemas, and the
 * API's OpenAPI description (src/api/openapi.ts) is generated from them.
 */
const isoTime = z.iso.datetime();
const stepName = z.enum(STEP_NAMES as [StepName, ...StepName[]]);

export const errorViewSchema = z.object({
  code: z.string().describe('a stable code, e.g. PROVIDER_RATE_LIMITED'),
  message: z.string(),
  retryable: z.boolean().describe('whether trying again can help'),
}) satisfies z.ZodType<ErrorView>;

export const runErrorSchema = errorViewSchema.extend({
  step: stepName.optional().describe('the step that failed'),
}) satisfies z.ZodType<RunError>;

/** Non-secret facts about what a step created: ids, names, URLs. */
export const resourcesSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]),
);

const byStep = z.partialRecord(stepName, resourcesSchema);

export const stepViewSchema = z.object({
  name: stepName,
  state: z.enum(STEP_STATES),
  attempts: z.number().int().min(0),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  error: errorViewSchema.optional(),
  failedAttempts: z
    .array(
      errorViewSchema.extend({
        attempt: z.number().int().min(1),
        startedAt: isoTime.optional(),
        failedAt: isoTime,
      }),
    )
    .optional()
    .describe("every failed attempt of the step's current job, oldest first"),
  lastAttemptAt: isoTime.optional().describe('when the latest attempt began'),
  compensation: z
    .object({
      outcome: z.enum(['deleted', 'not_found', 'undone_with_parent']).optional(),
      attempts: z.number().int().min(0),
      error: errorViewSchema.optional(),
      left: resourcesSchema.optional().describe('what is still left at the provider'),
      startedAt: isoTime.optional(),
      finishedAt: isoTime.optional(),
    })
    .optional(),
  rateLimit: z
    .object({
      waitedMs: z.number().min(0).describe("time set aside for providers' rate limits; no attempt was spent"),
      waitingUntil: isoTime.optional().describe("set while the step waits for a provider's window to reopen"),
      provider: z.string().optional(),
    })
    .optional(),
});

export const runViewSchema = z.object({
  runId: z.uuid(),
  clientId: z.string(),
  state: z.enum(RUN_STATES),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  error: runErrorSchema.optional(),
  generation: z.number().int().min(1).describe('1, then one more per retry'),
  resources: byStep.describe('non-secret resources, keyed by step name'),
  leftResources: byStep.optional().describe('in rollback_failed: exactly what is still left at the providers'),
  steps: z.array(stepViewSchema),
  callbacks: z.array(callbackAttemptSchema).describe('delivery attempts of the completion callback'),
  history: z
    .array(
      z.object({
        at: isoTime,
        from: z.enum(RUN_STATES).nullable().describe('null: the run was created'),
        to: z.enum(RUN_STATES),
        by: z.string().describe("the API token's name for API actions; worker or system otherwise"),
      }),
    )
    .describe('every change of state, oldest first'),
});

export type StepView = z.infer<typeof stepViewSchema>;
export type RunView = z.infer<typeof runViewSchema>;
