import { z } from 'zod';

/**
 * The provisioning request (SPEC 3), written once: the API validates with it, the run
 * record stores what it parsed, the steps and the templates read its type.
 */
export const TIERS = ['starter', 'professional', 'enterprise'] as const;
export const tierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof tierSchema>;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface RequestSchemaOptions {
  /** Sandbox mode: a callback may be plain http on loopback, for trying the product out. */
  allowLoopbackHttp: boolean;
}

/** Strict: unknown keys are rejected. `callbackUrl` is https, or http on loopback in sandbox mode. */
export function provisionRequestSchema(options: RequestSchemaOptions) {
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
    tier: tierSchema,
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

export type ProvisionRequest = z.infer<ReturnType<typeof provisionRequestSchema>>;
