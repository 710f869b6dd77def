import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The request body (SPEC 3). Strict: unknown keys are rejected. `callbackUrl` must be
 * https, or http on loopback when the providers are emulated.
 */
export function provisioningBody(options: { allowLoopbackHttp: boolean }) {
  return z.strictObject({
    clientId: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/,
        '3-32 letters, digits and -, starting and ending with a letter or digit',
      ),
    clientName: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\p{Cc}\p{Cs}\p{Co}\p{Cn}]+$/u, 'printable characters only')
      .refine((s) => s.trim().length > 0, 'must not be blank'),
    orgEmail: z.email().max(254),
    tier: z.enum(['starter', 'professional', 'enterprise']),
    callbackUrl: z
      .url()
      .max(2048)
      .refine((raw) => {
        const u = new URL(raw);
        if (u.username || u.password) return false;
        if (u.protocol === 'https:') return true;
        return options.allowLoopbackHttp && u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);
      }, 'must be an https URL without credentials (http only on loopback in sandbox mode)')
      .optional(),
  });
}

export const listQuery = z.strictObject({
  clientId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const runIdParam = z.uuid();
