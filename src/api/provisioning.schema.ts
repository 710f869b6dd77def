import { z } from 'zod';

/** The API's own query and path shapes; the request body is `provisionRequestSchema` (src/shared). */
export const listQuery = z.strictObject({
  clientId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const runIdParam = z.uuid();
