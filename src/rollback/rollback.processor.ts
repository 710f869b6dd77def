import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { AppError } from '../shared/errors.js';
import { failpoint } from '../shared/failpoints.js';
import { recordCompensation, recordRunFinished } from '../shared/metrics.js';
import { resourceNames } from '../shared/names.js';
import type { RunCommandDeps } from '../runs/run-commands.js';
import type { CompensationRecord, RollbackJobData, RunRecord, StepRecord } from '../runs/run.types.js';
import { currentStepRecord, stepJob } from '../runs/step-ledger.js';
import { rollbackOrder, stepNode, type StepName } from '../steps/step-graph.js';
import type { Resources, StepDefinition } from '../steps/step.types.js';
import { createCompensationContext, type ContextDeps } from '../runs/step-context.js';
import { runCompensation, type CompensationOptions } from './compensation-runner.js';

export interface RollbackDeps extends RunCommandDeps, ContextDeps {
  steps: ReadonlyMap<string, StepDefinition>;
  compensation: CompensationOptions;
  logger: Logger;
  /** Queues the completion callback of a run that has reached a final state (idempotent). */
  notify?: (runId: string) => Promise<void>;
}

const SETTLED = new Set(['completed', 'failed', 'unknown']);

/**
 * Undoes a run in reverse dependency order (SPEC 4.6). It starts only once every step
 * job of the run has stopped; each compensation finds its resource by recorded id and
 * by derived name, is retried with backoff, and one failing does not stop the others.
 * Progress is kept in the run record, so a crashed or repeated rollback resumes and
 * does not undo twice.
 */
export async function processRollback(
  deps: RollbackDeps,
  job: Job<RollbackJobData>,
  signal?: AbortSignal,
): Promise<{ state: string }> {
  const { runId, rollback } = job.data;
  const run = await deps.store.get(runId);
  if (run?.rollbacks === rollback && (run.state === 'rolled_back' || run.state === 'rollback_failed')) {
    await deps.notify?.(runId); // a retry of this job after a crash before the callback was queued
    return { state: run.state };
  }
  if (!run || run.state !== 'rolling_back' || run.rollbacks !== rollback) return { state: run?.state ?? 'missing' };
  const log = deps.logger.child({ runId, clientId: run.clientId, jobId: job.id, rollback });

  // What each step created is in the run record; its job (which may be gone) only says whether it has stopped.
  const steps = new Map<StepName, StepRecord | undefined>();
  for (const step of rollbackOrder()) {
    const sj = await stepJob(deps, run, step);
    const state = sj ? await sj.getState() : 'unknown';
    if (!SETTLED.has(state))
      throw new AppError('INVALID_STATE', `step ${step} is still ${state}; rollback waits for it`, { retryable: true });
    steps.set(step, await currentStepRecord(deps.queues, run, step));
  }

  const results = new Map<StepName, CompensationRecord>();
  const save = async (step: StepName, record: CompensationRecord) => {
    results.set(step, record);
    await deps.store.setCompensation(runId, step, record);
    recordCompensation(step, record.state === 'compensated' ? (record.outcome ?? 'deleted') : 'failed');
  };
  for (const step of rollbackOrder()) {
    const prior = run.compensations[step];
    if (prior?.state === 'compensated') {
      results.set(step, prior);
      continue;
    }
    const done = steps.get(step);
    const node = stepNode(step);
    if (!done?.resources) continue; // never got past its checks: it created nothing
    if (refusedBeforeCreating(done)) continue; // its credential was refused before it created anything
    if (node.undo !== 'compensate') continue; // undone with its parent, below
    const recorded: Resources = done.resources;
    const ctx = createCompensationContext(deps, run, step, recorded, signal);
    const startedAt = new Date().toISOString();
    const attempt = await runCompensation(deps.steps.get(step)!, ctx, deps.compensation);
    failpoint('rollback.after-compensation');
    const record: CompensationRecord = attempt.ok
      ? {
          state: 'compensated',
          outcome: attempt.outcome ?? 'deleted',
          attempts: attempt.attempts,
          startedAt,
          finishedAt: new Date().toISOString(),
        }
      : {
          state: 'compensation_failed',
          attempts: attempt.attempts,
          ...(attempt.error ? { error: attempt.error } : {}),
          left: { ...recorded, name: leftName(run, step) },
          startedAt,
          finishedAt: new Date().toISOString(),
        };
    await save(step, record);
    log.info(
      { step, event: record.state, attempts: record.attempts, outcome: record.outcome },
      'compensation finished',
    );
  }

  for (const step of rollbackOrder()) {
    const node = stepNode(step);
    if (node.undo === 'compensate' || !steps.get(step)?.resources || run.compensations[step]?.state === 'compensated')
      continue;
    const parent = results.get(node.undo.with);
    if (!parent) continue;
    const record: CompensationRecord =
      parent.state === 'compensated'
        ? { state: 'compensated', outcome: 'undone_with_parent', attempts: 0, finishedAt: new Date().toISOString() }
        : {
            state: 'compensation_failed',
            attempts: 0,
            error: { code: 'DEPENDENCY_FAILED', message: `left with the ${node.undo.with} resource`, retryable: true },
            finishedAt: new Date().toISOString(),
          };
    await save(step, record);
  }

  failpoint('rollback.before-final');
  const failed = [...results.entries()].filter(([, r]) => r.state === 'compensation_failed').map(([s]) => s);
  const finishedAt = new Date().toISOString();
  const seconds = (Date.parse(finishedAt) - Date.parse(run.createdAt)) / 1000;
  if (failed.length) {
    const error = {
      code: 'ROLLBACK_INCOMPLETE',
      message: `compensation failed for ${failed.join(', ')}; retry the rollback`,
      retryable: true,
    };
    const moved = await deps.store.transition(runId, ['rolling_back'], 'rollback_failed', {
      finishedAt,
      error: { ...error, ...(run.error?.step ? { step: run.error.step } : {}) },
    });
    if (moved.ok) recordRunFinished('rollback_failed', seconds);
    log.error({ failed }, 'rollback incomplete');
  } else {
    const moved = await deps.store.transition(runId, ['rolling_back'], 'rolled_back', { finishedAt });
    if (moved.ok) recordRunFinished('rolled_back', seconds);
    log.info('run rolled back');
  }
  await deps.notify?.(runId);
  return { state: failed.length ? 'rollback_failed' : 'rolled_back' };
}

/**
 * A step whose one and only attempt failed because a provider refused the credential, before it
 * recorded anything, created nothing: every step records what it created (or the secret it is
 * about to create with) before its next provider call. Compensating it would only be refused in
 * turn and list as left a resource that does not exist.
 */
function refusedBeforeCreating(record: StepRecord): boolean {
  return (
    record.state === 'failed' &&
    record.error?.code === 'PROVIDER_AUTH_FAILED' &&
    record.attempts === 1 &&
    Object.keys(record.resources ?? {}).length === 0 &&
    Object.keys(record.sealed ?? {}).length === 0
  );
}

function leftName(run: RunRecord, step: StepName): string {
  const n = resourceNames(run.request.clientId, run.request.clientName);
  return {
    supabase: n.supabaseProject,
    database: n.supabaseProject,
    github: n.githubRepo,
    vercel: n.vercelProject,
    n8n: n.n8nWorkflow,
    backup: n.backupPath,
  }[step];
}

/**
 * Ends a rollback that cannot finish (its job gave up, or it outlived the run deadline) as
 * `rollback_failed`, listing as left every resource of a step that got past its checks and was
 * not undone, so an operator sees what to clean up and can try the rollback again.
 */
export async function abandonRollback(
  deps: Pick<RollbackDeps, 'store' | 'queues' | 'logger' | 'notify'>,
  run: RunRecord,
  reason: string,
): Promise<boolean> {
  const finishedAt = new Date().toISOString();
  const failed: StepName[] = [];
  for (const step of rollbackOrder()) {
    if (run.compensations[step]?.state === 'compensated') continue;
    const done = await currentStepRecord(deps.queues, run, step);
    if (!done?.resources) continue;
    failed.push(step);
    await deps.store.setCompensation(run.runId, step, {
      state: 'compensation_failed',
      attempts: run.compensations[step]?.attempts ?? 0,
      error: { code: 'ROLLBACK_ABANDONED', message: reason, retryable: true },
      left: { ...done.resources, name: leftName(run, step) },
      finishedAt,
    });
  }
  const moved = await deps.store.transition(run.runId, ['rolling_back'], 'rollback_failed', {
    finishedAt,
    error: {
      code: 'ROLLBACK_INCOMPLETE',
      message: `${reason}; ${failed.length ? `left: ${failed.join(', ')}; ` : ''}retry the rollback`,
      retryable: true,
      ...(run.error?.step ? { step: run.error.step } : {}),
    },
  });
  if (moved.ok) {
    recordRunFinished('rollback_failed', (Date.parse(finishedAt) - Date.parse(run.createdAt)) / 1000);
    deps.logger.error({ runId: run.runId, failed }, `rollback abandoned: ${reason}`);
    await deps.notify?.(run.runId);
  }
  return moved.ok;
}
