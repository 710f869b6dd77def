import type { Job } from 'bullmq';
import type { Sealer } from '../shared/crypto.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { buildCompensationContext, buildStepContext, type CheckpointStore } from '../steps/step-context.js';
import type { StepName } from '../steps/step-graph.js';
import type { CompensationContext, Resources, StepContext, StepTimings } from '../steps/step.types.js';
import { stepJob } from './run-commands.js';
import type { Queues } from './queues.js';
import type { RunRecord, StepJobData, StepJobResult } from './run.types.js';

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
 * The step's checkpoint in its BullMQ job data (resources in clear, secrets sealed), and
 * its inputs from the return values of the jobs it needs.
 */
function jobCheckpoint(deps: ContextDeps, run: RunRecord, job: Job<StepJobData>): CheckpointStore {
  const step = job.data.step;
  const open = (owner: StepName, sealed: Record<string, string> | undefined) => (name: string) => {
    const value = sealed?.[name];
    return value === undefined ? undefined : deps.sealer.open(value, sealContext(run.runId, owner, name));
  };
  return {
    resources: job.data.resources ?? {},
    secret: open(step, job.data.sealed),
    async record(update) {
      const sealed = { ...job.data.sealed };
      for (const [name, value] of Object.entries(update.secrets ?? {}))
        sealed[name] = deps.sealer.seal(value, sealContext(run.runId, step, name));
      await job.updateData({ ...job.data, resources: { ...job.data.resources, ...update.resources }, sealed });
    },
    async input(dep) {
      const depJob = await stepJob(deps, run, dep);
      const result = depJob?.returnvalue as StepJobResult | null | undefined;
      if (!depJob || !result || (await depJob.getState()) !== 'completed') {
        throw new AppError('DEPENDENCY_FAILED', `step ${dep} has not succeeded`);
      }
      return { resources: result.resources, secret: open(dep, result.sealed) };
    },
  };
}

export function createStepContext(
  deps: ContextDeps,
  run: RunRecord,
  job: Job<StepJobData>,
  signal?: AbortSignal,
): StepContext {
  return buildStepContext(environment(deps, run, signal), job.data.step, jobCheckpoint(deps, run, job));
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
