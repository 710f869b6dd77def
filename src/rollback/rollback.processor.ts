import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { AppError } from '../shared/errors.js';
import { recordCompensation, recordRunFinished } from '../shared/metrics.js';
import { resourceNames } from '../shared/names.js';
import { stepJob, type RunCommandDeps } from '../runs/run-commands.js';
import {
  attemptsOf,
  type CompensationRecord,
  type RollbackJobData,
  type RunRecord,
  type StepJobData,
} from '../runs/run.types.js';
import { rollbackOrder, stepNode, type StepName } from '../steps/step-graph.js';
import type { Resources, StepDefinition } from '../steps/step.types.js';
import { createCompensationContext, type ContextDeps } from '../runs/step-context.js';
import { jobError } from '../runs/step-failures.js';
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

  const jobs = new Map<StepName, Job | undefined>();
  const failedJobs = new Set<StepName>();
  for (const step of rollbackOrder()) {
    const sj = await stepJob(deps, run, step);
    const state = sj ? await sj.getState() : 'unknown';
    if (!SETTLED.has(state))
      throw new AppError('INVALID_STATE', `step ${step} is still ${state}; rollback waits for it`, { retryable: true });
    jobs.set(step, sj);
    if (state === 'failed') failedJobs.add(step);
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
    const sj = jobs.get(step);
    const node = stepNode(step);
    if (!sj || !touched(sj)) continue; // never started: it created nothing
    if (failedJobs.has(step) && refusedBeforeCreating(sj)) continue; // its credential was refused before it created anything
    if (node.undo !== 'compensate') continue; // undone with its parent, below
    const recorded: Resources = (sj.data as { resources?: Resources }).resources ?? {};
    const ctx = createCompensationContext(deps, run, step, recorded, signal);
    const startedAt = new Date().toISOString();
    const attempt = await runCompensation(deps.steps.get(step)!, ctx, deps.compensation);
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
    const sj = jobs.get(step);
    if (node.undo === 'compensate' || !sj || !touched(sj) || run.compensations[step]?.state === 'compensated') continue;
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
 * A step that got past its checks (it marks its job data with `resources` before it
 * calls any provider) may have created something, even if it then failed or crashed.
 */
function touched(job: Job): boolean {
  return (job.data as { resources?: Resources }).resources !== undefined;
}

/**
 * A failed step whose one and only attempt failed because a provider refused the credential, before it
 * recorded anything, created nothing: every step records what it created (or the secret it is
 * about to create with) before its next provider call. Compensating it would only be refused in
 * turn and list as left a resource that does not exist.
 */
function refusedBeforeCreating(job: Job): boolean {
  const data = job.data as StepJobData;
  const attempts = attemptsOf(job as Job<StepJobData>);
  return (
    jobError(job)?.code === 'PROVIDER_AUTH_FAILED' &&
    attempts === 1 &&
    Object.keys(data.resources ?? {}).length === 0 &&
    Object.keys(data.sealed ?? {}).length === 0
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
