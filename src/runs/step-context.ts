import type { Sealer } from '../shared/crypto.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { buildCompensationContext, buildStepContext, type CheckpointStore } from '../steps/step-context.js';
import type { StepName } from '../steps/step-graph.js';
import type { CompensationContext, Resources, StepContext, StepTimings } from '../steps/step.types.js';
import type { Queues } from './queues.js';
import type { RunRecord } from './run.types.js';
import { currentStepRecord, isDone, type StepLedger } from './step-ledger.js';

/** What the worker's step and rollback processors build contexts from. */
export interface ContextDeps {
  queues: Queues;
  clients: ProviderClients;
  providers: ProvidersConfig;
  timings: StepTimings;
  sealer: Sealer;
  logger: Logger;
}

/** Secrets are sealed with the run, step and name bound in, so a value cannot move elsewhere. */
export const sealContext = (runId: string, step: StepName, name: string) => `${runId}:${step}:${name}`;

const environment = (deps: ContextDeps, run: RunRecord, signal: AbortSignal | undefined) => ({
  runId: run.runId,
  clientId: run.clientId,
  request: run.request,
  clients: deps.clients,
  providers: deps.providers,
  timings: deps.timings,
  logger: deps.logger,
  signal,
});

/**
 * The step's checkpoint in the run record and its job's data (resources in clear, secrets
 * sealed), kept by its ledger; its inputs from the records of the steps it needs.
 */
function ledgerCheckpoint(deps: ContextDeps, run: RunRecord, step: StepName, ledger: StepLedger): CheckpointStore {
  const open = (owner: StepName, sealed: Record<string, string> | undefined) => (name: string) => {
    const value = sealed?.[name];
    return value === undefined ? undefined : deps.sealer.open(value, sealContext(run.runId, owner, name));
  };
  return {
    resources: ledger.record.resources ?? {},
    secret: open(step, ledger.record.sealed),
    async record(update) {
      const sealed: Record<string, string> = {};
      for (const [name, value] of Object.entries(update.secrets ?? {}))
        sealed[name] = deps.sealer.seal(value, sealContext(run.runId, step, name));
      await ledger.checkpoint(update.resources, sealed);
    },
    fence: () => ledger.fence(),
    async input(dep) {
      const record = await currentStepRecord(deps.queues, run, dep);
      if (!record || !isDone(record)) throw new AppError('DEPENDENCY_FAILED', `step ${dep} has not succeeded`);
      return { resources: record.resources ?? {}, secret: open(dep, record.sealed) };
    },
  };
}

export function createStepContext(
  deps: ContextDeps,
  run: RunRecord,
  step: StepName,
  ledger: StepLedger,
  signal?: AbortSignal,
): StepContext {
  return buildStepContext(environment(deps, run, signal), step, ledgerCheckpoint(deps, run, step, ledger));
}

export function createCompensationContext(
  deps: ContextDeps,
  run: RunRecord,
  step: StepName,
  recorded: Resources,
  signal?: AbortSignal,
): CompensationContext {
  return buildCompensationContext(environment(deps, run, signal), step, recorded);
}
