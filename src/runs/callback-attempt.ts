import { z } from 'zod';

/**
 * One delivery attempt of a run's completion callback, as stored in the run record and shown
 * in the run view. `status` is the receiver's HTTP status, 0 when it did not answer.
 */
export const callbackAttemptSchema = z.object({
  at: z.iso.datetime().describe('when the attempt was made'),
  state: z.string().describe('the final state the callback reported'),
  status: z.number().int().min(0).describe("the receiver's HTTP status; 0 when it did not answer"),
  error: z.string().optional().describe('why the attempt did not count as delivered'),
});

export type CallbackAttempt = z.infer<typeof callbackAttemptSchema>;
