import { pino } from 'pino';
import type { Config } from '../../src/config/config.js';
import type { ProviderClients } from '../../src/providers/provider-clients.js';
import { AppError } from '../../src/shared/errors.js';
import type { ProvisionRequest } from '../../src/shared/provision-request.js';
import {
  buildCompensationContext as buildRealCompensationContext,
  buildStepContext as buildRealStepContext,
  type CheckpointStore,
  type StepEnvironment,
} from '../../src/steps/step-context.js';
import type { StepName } from '../../src/steps/step-graph.js';
import type {
  CompensationContext,
  Resources,
  StepContext,
  StepOutput,
  StepResult,
  StepTimings,
} from '../../src/steps/step.types.js';

/**
 * Step tests build their contexts with the product's own builder (src/steps/step-context.ts);
 * only the checkpoint's storage differs: memory here, BullMQ job data in the worker. What a
 * step records lands in `state`, and a later attempt built from the same `state` sees it as
 * its checkpoint (as a retried job sees its job data).
 */
export interface RecordedState {
  resources: Resources;
  secrets: Record<string, string>;
}

export interface TestContextOptions {
  config: Config;
  clients: ProviderClients;
  request: ProvisionRequest;
  /** The step under test. */
  step: StepName;
  /** Outputs of the steps this one needs. */
  inputs?: Partial<Record<StepName, StepOutput>>;
  /** Shared between attempts to play a retry; fresh by default. */
  state?: RecordedState;
  timings?: Partial<StepTimings>;
  signal?: AbortSignal;
}

export const TEST_TIMINGS: StepTimings = { pollIntervalMs: 20, supabaseReadyTimeoutMs: 10_000 };

export const emptyState = (): RecordedState => ({ resources: {}, secrets: {} });

const environment = (options: TestContextOptions): StepEnvironment => ({
  runId: 'run-test',
  clientId: options.request.clientId,
  request: options.request,
  clients: options.clients,
  providers: options.config.providers,
  timings: { ...TEST_TIMINGS, ...options.timings },
  logger: pino({ level: 'silent' }),
  signal: options.signal,
});

function memoryCheckpoint(
  state: RecordedState,
  inputs: TestContextOptions['inputs'],
  signal: AbortSignal | undefined,
): CheckpointStore {
  const seen = { resources: { ...state.resources }, secrets: { ...state.secrets } };
  return {
    resources: seen.resources,
    secret: (name) => seen.secrets[name],
    async record(update) {
      Object.assign(state.resources, update.resources);
      Object.assign(state.secrets, update.secrets);
    },
    // One process, no job lock to lose: the fence only checks the signal, as the worker's does first.
    async fence() {
      signal?.throwIfAborted();
    },
    async input(step) {
      const out = inputs?.[step];
      if (!out) throw new AppError('DEPENDENCY_FAILED', `step ${step} has not succeeded`);
      return { resources: out.resources, secret: (name) => out.secrets[name] };
    },
  };
}

export function buildStepContext(options: TestContextOptions): StepContext & { state: RecordedState } {
  const state = options.state ?? emptyState();
  const ctx = buildRealStepContext(
    environment(options),
    options.step,
    memoryCheckpoint(state, options.inputs, options.signal),
  );
  return Object.assign(ctx, { state });
}

export function buildCompensationContext(options: TestContextOptions & { recorded?: Resources }): CompensationContext {
  return buildRealCompensationContext(environment(options), options.step, options.recorded ?? {});
}

/** What a step hands on to the steps that need it. */
export const outputOf = (result: StepResult): StepOutput => ({
  resources: result.resources,
  secrets: result.secrets ?? {},
});
