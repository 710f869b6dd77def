import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Config } from '../../src/config/config.js';
import type { ProviderClients } from '../../src/providers/provider-clients.js';
import { AppError } from '../../src/shared/errors.js';
import { resourceNames } from '../../src/shared/names.js';
import type {
  CompensationContext,
  ProvisionRequest,
  Resources,
  StepContext,
  StepName,
  StepOutput,
  StepResult,
  StepTimings,
} from '../../src/steps/step.types.js';

/**
 * A minimal in-memory StepContext for step tests: what a step records lands in `state`,
 * and a later attempt built from the same `state` sees it as its checkpoint (as a retried
 * job sees its job data). The real context lives in src/worker/step-context.ts.
 */
export interface RecordedState {
  resources: Resources;
  secrets: Record<string, string>;
}

export interface TestContextOptions {
  config: Config;
  clients: ProviderClients;
  request: ProvisionRequest;
  /** Outputs of the steps this one needs. */
  inputs?: Partial<Record<StepName, StepOutput>>;
  /** Shared between attempts to play a retry; fresh by default. */
  state?: RecordedState;
  timings?: Partial<StepTimings>;
  signal?: AbortSignal;
}

export const TEST_TIMINGS: StepTimings = { pollIntervalMs: 20, supabaseReadyTimeoutMs: 10_000 };

export const emptyState = (): RecordedState => ({ resources: {}, secrets: {} });

function base(options: TestContextOptions) {
  const signal = options.signal ?? new AbortController().signal;
  return {
    runId: 'run-test',
    request: options.request,
    names: resourceNames(options.request.clientId, options.request.clientName),
    clients: options.clients,
    providers: options.config.providers,
    timings: { ...TEST_TIMINGS, ...options.timings },
    log: pino({ level: 'silent' }),
    signal,
    sleep: (ms: number) => sleep(ms, undefined, { signal }),
  };
}

export function buildStepContext(options: TestContextOptions): StepContext & { state: RecordedState } {
  const state = options.state ?? emptyState();
  const checkpoint = { resources: { ...state.resources }, secrets: { ...state.secrets } };
  return {
    ...base(options),
    state,
    checkpoint: { resources: checkpoint.resources, secret: (name) => checkpoint.secrets[name] },
    async record(update) {
      Object.assign(state.resources, update.resources);
      Object.assign(state.secrets, update.secrets);
    },
    async input(step) {
      const out = options.inputs?.[step];
      if (!out) throw new AppError('DEPENDENCY_FAILED', `step ${step} has not succeeded`);
      return {
        resources: out.resources,
        secret(name) {
          const v = out.secrets[name];
          if (v === undefined) throw new AppError('SECRET_UNAVAILABLE', `step ${step} handed on no ${name}`);
          return v;
        },
      };
    },
  };
}

export function buildCompensationContext(options: TestContextOptions & { recorded?: Resources }): CompensationContext {
  return { ...base(options), recorded: options.recorded ?? {} };
}

/** What a step hands on to the steps that need it. */
export const outputOf = (result: StepResult): StepOutput => ({
  resources: result.resources,
  secrets: result.secrets ?? {},
});
