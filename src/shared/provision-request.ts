import { z } from 'zod';
import { createOutboundPolicy, type OutboundPolicy } from './outbound.js';

/**
 * The provisioning request (SPEC 3), written once: the API validates with it, the run
 * record stores what it parsed, the steps and the templates read its type.
 */
export const TIERS = ['starter', 'professional', 'enterprise'] as const;
export const tierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof tierSchema>;

export interface RequestSchemaOptions {
  /** Sandbox mode: a callback may be plain http on loopback, for trying the product out. */
  allowLoopbackHttp: boolean;
  /**
   * Where callbacks may go (src/shared/outbound.ts). With it, the host name is resolved too and
   * the schema must be used with `parseAsync`; without it, only what the URL itself says is checked.
   */
  callbacks?: OutboundPolicy;
}

/**
 * Strict: unknown keys are rejected. `callbackUrl` is https (http only on loopback in sandbox
 * mode) and never points at this machine, the private network or a metadata endpoint.
 */
export function provisionRequestSchema(options: RequestSchemaOptions) {
  const policy =
    options.callbacks ??
    createOutboundPolicy({ allowLoopback: options.allowLoopbackHttp, allowedHosts: [], allowedNetworks: [] });
  const refuse = (ctx: z.RefinementCtx, problem: string | undefined) => {
    if (problem) ctx.addIssue({ code: 'custom', message: `refused: ${problem}` });
  };
  const callbackUrl = options.callbacks
    ? z.string().superRefine(async (raw, ctx) => refuse(ctx, await policy.check(raw)))
    : z.string().superRefine((raw, ctx) => refuse(ctx, policy.checkStatic(raw)));
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
    callbackUrl: callbackUrl.optional(),
  });
}

export type ProvisionRequest = z.infer<ReturnType<typeof provisionRequestSchema>>;
