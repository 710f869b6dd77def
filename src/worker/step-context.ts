import type { Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/config.js';
import type { Sealer } from '../shared/crypto.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { resourceNames } from '../shared/names.js';
import type { ProviderClients } from '../providers/provider-clients.js';
import { stepJob, type RunCommandDeps } from '../runs/run-commands.js';
import type { RunRecord, StepJobData, StepJobResult } from '../runs/run.types.js';
import { ancestorsOf, type StepName } from '../steps/step-graph.js';
import type { CompensationContext, Resources, StepContext } from '../steps/step.types.js';

export interface ContextDeps extends Pick<RunCommandDeps, 'queues'> {
  config: Config;
  clients: ProviderClients;
  sealer: Sealer;
  logger: Logger;
}

/** Secrets are sealed with the run, step and name bound in, so a value cannot move elsewhere. */
const sealContext = (runId: string, step: StepName, name: string) => `${runId}:${step}:${name}`;

function baseContext(deps: ContextDeps, run: RunRecord, step: StepName, signal: AbortSignal | undefined) {
  const abort = signal ?? new AbortController().signal;
  return {
    runId: run.runId,
    request: run.request,
    names: resourceNames(run.request.clientId, run.request.clientName),
    clients: deps.clients,
    providers: deps.config.providers,
    timings: {
      pollIntervalMs: deps.config.worker.pollIntervalMs,
      supabaseReadyTimeoutMs: deps.config.worker.supabaseReadyTimeoutMs,
    },
    log: deps.logger.child({ runId: run.runId, clientId: run.clientId, step }),
    signal: abort,
    sleep: (ms: number) => sleep(ms, undefined, { signal: abort }),
  };
}

export function createStepContext(
  deps: ContextDeps,
  run: RunRecord,
  job: Job<StepJobData>,
  signal?: AbortSignal,
): StepContext {
  const step = job.data.step;
  const open = (owner: StepName, sealed: Record<string, string> | undefined) => (name: string) => {
    const value = sealed?.[name];
    return value === undefined ? undefined : deps.sealer.open(value, sealContext(run.runId, owner, name));
  };
  return {
    ...baseContext(deps, run, step, signal),
    checkpoint: { resources: job.data.resources ?? {}, secret: open(step, job.data.sealed) },
    async record(update) {
      const sealed = { ...job.data.sealed };
      for (const [name, value] of Object.entries(update.secrets ?? {}))
        sealed[name] = deps.sealer.seal(value, sealContext(run.runId, step, name));
      await job.updateData({ ...job.data, resources: { ...job.data.resources, ...update.resources }, sealed });
    },
    async input(dep) {
      if (!ancestorsOf(step).has(dep)) throw new Error(`step ${step} does not depend on ${dep}`);
      const depJob = await stepJob(deps, run, dep);
      const result = depJob?.returnvalue as StepJobResult | null | undefined;
      if (!depJob || !result || (await depJob.getState()) !== 'completed') {
        throw new AppError('DEPENDENCY_FAILED', `step ${dep} has not succeeded`);
      }
      const read = open(dep, result.sealed);
      return {
        resources: result.resources,
        secret(name: string) {
          const v = read(name);
          if (v === undefined) throw new AppError('SECRET_UNAVAILABLE', `step ${dep} handed on no ${name}`);
          return v;
        },
      };
    },
  };
}

export function createCompensationContext(
  deps: ContextDeps,
  run: RunRecord,
  step: StepName,
  recorded: Resources,
  signal?: AbortSignal,
): CompensationContext {
  return { ...baseContext(deps, run, step, signal), recorded };
}
