import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../../shared/providers.js';

/** Transport faults the framework plays; the others are asked of the emulator itself. */
export const TRANSPORT_FAULTS = [
  'http500',
  'http502',
  'http429',
  'timeout',
  'reset',
  'lost-response',
  'http4xx',
] as const;
/** Provider behaviours on request: a Supabase project that ends INIT_FAILED, a Vercel build that ends ERROR. */
export const BEHAVIOUR_FAULTS = ['init-failed', 'deployment-error'] as const;
export type TransportFault = (typeof TRANSPORT_FAULTS)[number];
export type FaultKind = TransportFault | (typeof BEHAVIOUR_FAULTS)[number];

export const faultRuleSchema = z.strictObject({
  provider: z.enum(PROVIDER_NAMES),
  operationId: z.string().min(1),
  fault: z.enum([...TRANSPORT_FAULTS, ...BEHAVIOUR_FAULTS]),
  /** How often the rule may fire; unbounded when absent. */
  times: z.number().int().positive().optional(),
  /** How likely it fires on a matching call (default 1). */
  probability: z.number().min(0).max(1).optional(),
  /** For http4xx: which status (default 400). */
  status: z.number().int().min(400).max(499).optional(),
});
export const faultRulesBody = z.strictObject({ rules: z.array(faultRuleSchema).min(1).max(100) });
export type FaultRule = z.infer<typeof faultRuleSchema>;

interface LiveRule extends FaultRule {
  fired: number;
}

export class FaultBook {
  private rules: LiveRule[] = [];

  add(rules: FaultRule[]): void {
    this.rules.push(...rules.map((r) => ({ ...r, fired: 0 })));
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first matching rule of the given kinds that fires now; counts the firing. */
  take(provider: ProviderName, operationId: string, kinds: readonly string[]): LiveRule | undefined {
    for (const rule of this.rules) {
      if (rule.provider !== provider || rule.operationId !== operationId || !kinds.includes(rule.fault)) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      rule.fired += 1;
      return rule;
    }
    return undefined;
  }
}
