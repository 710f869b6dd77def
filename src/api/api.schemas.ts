import { z } from 'zod';
import { runViewSchema } from '../runs/run-view.schema.js';
import { RUN_STATES } from '../runs/run.types.js';

/**
 * The API's own answers besides the run view, written once: the routes type what they send
 * with these, and the OpenAPI description (openapi.ts) is generated from them.
 */
export const acceptedSchema = z.object({
  runId: z.uuid(),
  statusUrl: z.string().describe('where to read the run'),
  existing: z.boolean().describe('true when the client already had this run in flight'),
});

export const actionAcceptedSchema = z.object({
  runId: z.uuid(),
  state: z.enum(RUN_STATES).describe('the state the run moved to'),
  statusUrl: z.string(),
});

export const runListSchema = z.object({ runs: z.array(runViewSchema).describe('newest first') });

/** Every error, whatever the status. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('a stable code: VALIDATION_FAILED, UNAUTHENTICATED, NOT_FOUND, INVALID_STATE…'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type Accepted = z.infer<typeof acceptedSchema>;
export type ActionAccepted = z.infer<typeof actionAcceptedSchema>;
export type RunList = z.infer<typeof runListSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
