import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { resourceNames } from '../shared/names.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import type { ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { ancestorsOf, type StepName } from './step-graph.js';
import type { CompensationContext, Resources, StepContext, StepTimings } from './step.types.js';

/** What every context of a run carries, whoever builds it. */
export interface StepEnvironment {
  runId: string;
  clientId: string;
  request: ProvisionRequest;
  clients: ProviderClients;
  providers: ProvidersConfig;
  timings: StepTimings;
  logger: Logger;
  /** Aborts when the worker shuts down or loses the job's lock. */
  signal?: AbortSignal | undefined;
}

/**
 * Where a step's checkpoint lives and where its inputs come from: BullMQ job data in
 * the worker (src/runs/job-checkpoint.ts), memory in the step tests. Secrets are in
 * clear on this side of it; the store seals what it keeps.
 */
export interface CheckpointStore {
  resources: Resources;
  secret(name: string): string | undefined;
  record(update: { resources?: Resources; secrets?: Record<string, string> }): Promise<void>;
  /** Throws unless this process still holds the step (see StepContext.fence). */
  fence(): Promise<void>;
  input(step: StepName): Promise<{ resources: Resources; secret(name: string): string | undefined }>;
}

function baseContext(env: StepEnvironment, step: StepName) {
  const signal = env.signal ?? new AbortController().signal;
  return {
    runId: env.runId,
    request: env.request,
    names: resourceNames(env.request.clientId, env.request.clientName),
    clients: env.clients,
    providers: env.providers,
    timings: env.timings,
    log: env.logger.child({ runId: env.runId, clientId: env.clientId, step }),
    signal,
    sleep: (ms: number) => sleep(ms, undefined, { signal }),
  };
}

/** The one step-context builder: the worker and the step tests both use it. */
export function buildStepContext(env: StepEnvironment, step: StepName, store: CheckpointStore): StepContext {
  return {
    ...baseContext(env, step),
    checkpoint: { resources: store.resources, secret: (name) => store.secret(name) },
    record: (update) => store.record(update),
    fence: () => store.fence(),
    async input(dep) {
      if (!ancestorsOf(step).has(dep)) throw new Error(`step ${step} does not depend on ${dep}`);
      const out = await store.input(dep);
      return {
        resources: out.resources,
        secret(name: string) {
          const v = out.secret(name);
          if (v === undefined) throw new AppError('SECRET_UNAVAILABLE', `step ${dep} handed on no ${name}`);
          return v;
        },
      };
    },
  };
}

export function buildCompensationContext(
  env: StepEnvironment,
  step: StepName,
  recorded: Resources,
): CompensationContext {
  return { ...baseContext(env, step), recorded };
}
