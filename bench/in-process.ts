import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/config.js';
import { createProviderClients } from '../src/providers/provider-clients.js';
import { SANDBOX_IDENTITY } from '../src/sandbox/sandbox-credentials.js';
import type { ProvisionRequest } from '../src/shared/provision-request.js';
import { STEPS } from '../src/steps/step-table.js';
import type { StepName, StepOutput } from '../src/steps/step.types.js';
import { buildStepContext, outputOf } from '../test/support/step-context.js';

/**
 * The six steps with nothing around them: called one after another in this process, in the
 * step table's order, against the same sandbox, each context built by the product's own builder
 * with its checkpoint in memory (as the step tests do). No queue, no Redis, no rate budgets.
 * What a run takes beyond this is what the queue and the worker add.
 */
export interface InProcess {
  /** Provisions `request`: how long the six steps took one after another, and each of them (ms). */
  run(request: ProvisionRequest): Promise<{ totalMs: number; steps: Partial<Record<StepName, number>> }>;
  /** Provisions every request, `parallel` at a time: ms from the first start to the last end. */
  many(requests: ProvisionRequest[], parallel: number): Promise<number>;
}

export function inProcessSteps(sandboxUrl: string, pollIntervalMs: number): InProcess {
  const config = loadConfig(
    { roles: ['worker'], sandbox: SANDBOX_IDENTITY },
    { PROVIDERS: 'sandbox', SANDBOX_URL: sandboxUrl, ENCRYPTION_KEY: randomBytes(32).toString('hex') },
  );
  const clients = createProviderClients(config.providers, { timeoutMs: config.worker.providerTimeoutMs });
  const timings = { pollIntervalMs, supabaseReadyTimeoutMs: config.worker.supabaseReadyTimeoutMs };
  const api: InProcess = {
    async run(request) {
      const outputs: Partial<Record<StepName, StepOutput>> = {};
      const steps: Partial<Record<StepName, number>> = {};
      const t0 = performance.now();
      for (const step of STEPS) {
        const ctx = buildStepContext({ config, clients, request, step: step.name, inputs: outputs, timings });
        const t = performance.now();
        outputs[step.name] = outputOf(await step.execute(ctx));
        steps[step.name] = performance.now() - t;
      }
      return { totalMs: performance.now() - t0, steps };
    },
    async many(requests, parallel) {
      const queue = [...requests];
      const t0 = performance.now();
      const lane = async (): Promise<void> => {
        const next = queue.shift();
        if (!next) return;
        await api.run(next);
        return lane();
      };
      await Promise.all(Array.from({ length: parallel }, lane));
      return performance.now() - t0;
    },
  };
  return api;
}
