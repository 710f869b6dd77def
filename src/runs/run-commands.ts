import { randomUUID } from 'node:crypto';
import { AppError } from '../shared/errors.js';
import { clientKey } from '../shared/names.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import { buildFlow, flowStepJobs, jobName, rollbackJobId, type Carried, type FlowOptions } from './flow-builder.js';
import type { Queues } from './queues.js';
import type { RunStore } from './run-store.js';
import type { RollbackJobData, RunRecord, RunState } from './run.types.js';
import { currentStepRecord, isDone } from './step-ledger.js';
import { failpoint } from '../shared/failpoints.js';

/**
 * What can be done to a run: start, retry from the failed step, roll back. Shared by
 * the API and the worker; every change of state is a compare-and-set in the store,
 * and every enqueue uses fixed job ids, so repeating a command is harmless.
 */
export interface RunCommandDeps {
  store: RunStore;
  queues: Queues;
  flow: FlowOptions;
}

export type StartResult =
  { kind: 'created' | 'in_flight'; runId: string } | { kind: 'provisioned' | 'needs_attention'; runId: string };

/** `by` names who asked (an API token's name) in the run's history; the store's own actor otherwise. */
export async function startRun(deps: RunCommandDeps, request: ProvisionRequest, by?: string): Promise<StartResult> {
  const runId = randomUUID();
  const claim = await deps.store.claim(runId, clientKey(request.clientId), request, new Date(), by);
  if (claim.kind === 'created') {
    failpoint('run.after-claim');
    await enqueueFirstFlow(deps, claim.runId, request);
  } else if (claim.kind === 'in_flight') {
    // A process may have died between claiming and enqueueing: adding the same
    // first flow again is a no-op when it exists, and repairs the run when it does not.
    const run = await deps.store.get(claim.runId);
    if (run?.state === 'queued' && run.generation === 1) await enqueueFirstFlow(deps, run.runId, run.request);
  }
  return claim;
}

async function enqueueFirstFlow(deps: RunCommandDeps, runId: string, request: ProvisionRequest): Promise<void> {
  await deps.store.setStepJobs(runId, flowStepJobs(runId, 1, STEP_NAMES));
  await deps.queues.flows.add(buildFlow(runId, 1, request, flowOptions(deps)));
}

/** Resume a failed run from the steps that did not succeed; the ones that did are not run again. */
export async function retryRun(deps: RunCommandDeps, runId: string, by?: string): Promise<RunRecord> {
  const run = await requireRun(deps, runId);
  if (run.state !== 'failed') throw invalidState(run, 'retry', ['failed']);
  const moved = await resumeRun(deps, run, ['failed'], by);
  if (!moved)
    throw invalidState({ ...run, state: (await deps.store.get(runId))?.state ?? run.state }, 'retry', ['failed']);
  return (await deps.store.get(runId))!;
}

/**
 * Builds the run's flow again, as a new generation, from the steps that have not succeeded (the
 * ones that did are read from the run record), carrying what each recorded and the attempts it
 * spent; a retry, and the reconciler for a run whose flow was lost. False when the run was not in
 * one of `from` (someone else moved it).
 */
export async function resumeRun(
  deps: RunCommandDeps,
  run: RunRecord,
  from: readonly RunState[],
  by?: string,
): Promise<boolean> {
  const todo = new Set<StepName>();
  const carried: Partial<Record<StepName, Carried>> = {};
  for (const step of STEP_NAMES) {
    const record = await currentStepRecord(deps.queues, run, step);
    if (isDone(record)) continue;
    todo.add(step);
    const prior = record ?? run.steps[step];
    if (prior) {
      carried[step] = {
        ...(prior.resources ? { resources: prior.resources } : {}),
        ...(prior.sealed ? { sealed: prior.sealed } : {}),
        priorAttempts: prior.attempts,
      };
    }
  }
  const moved = await deps.store.transition(run.runId, from, 'queued', { error: null, by }, 'generation');
  if (!moved.ok) return false;
  failpoint('run.after-transition');
  const generation = moved.counter;
  await deps.store.setStepJobs(run.runId, flowStepJobs(run.runId, generation, todo));
  await deps.queues.flows.add(buildFlow(run.runId, generation, run.request, flowOptions(deps), todo, carried));
  return true;
}

export const ROLLBACK_FROM = ['failed', 'succeeded', 'rollback_failed'] as const;

/** Roll back a failed run, tear down a succeeded one, or try a failed rollback again. */
export async function startRollback(deps: RunCommandDeps, runId: string, by?: string): Promise<RunRecord> {
  const run = await requireRun(deps, runId);
  const moved = await deps.store.transition(
    runId,
    ROLLBACK_FROM,
    'rolling_back',
    { error: run.state === 'failed' ? (run.error ?? null) : null, by },
    'rollbacks',
  );
  if (!moved.ok) throw invalidState({ ...run, state: moved.previous ?? run.state }, 'roll back', ROLLBACK_FROM);
  failpoint('run.after-transition');
  await enqueueRollback(deps, run, moved.counter);
  return (await deps.store.get(runId))!;
}

/** Adds the rollback job of a run already in `rolling_back` (no-op when it exists). */
export async function enqueueRollback(
  deps: RunCommandDeps,
  { runId, clientId }: Pick<RunRecord, 'runId' | 'clientId'>,
  rollback: number,
): Promise<void> {
  const data: RollbackJobData = { runId, rollback, clientId };
  await deps.queues.rollback.add(jobName('rollback', clientId), data, {
    jobId: rollbackJobId(runId, rollback),
    attempts: 20,
    backoff: { type: 'exponential', delay: 2000 },
  });
}

/** Flows keep the queues' retention: a FlowProducer does not apply a queue's default job options. */
const flowOptions = (deps: RunCommandDeps): FlowOptions =>
  deps.queues.retention ? { ...deps.flow, retention: deps.queues.retention } : deps.flow;

async function requireRun(deps: RunCommandDeps, runId: string): Promise<RunRecord> {
  const run = await deps.store.get(runId);
  if (!run) throw new AppError('NOT_FOUND', `no run ${runId}`);
  return run;
}

function invalidState(run: RunRecord, action: string, allowed: readonly string[]): AppError {
  return new AppError(
    'INVALID_STATE',
    `cannot ${action} a run that is ${run.state} (allowed from: ${allowed.join(', ')})`,
    {
      details: { state: run.state },
    },
  );
}
