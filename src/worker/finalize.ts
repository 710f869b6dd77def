import type { Job } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { recordRunFinished } from '../shared/metrics.js';
import { failpoint } from '../shared/failpoints.js';
import { enqueueRollback, startRollback, type RunCommandDeps } from '../runs/run-commands.js';
import { settleSteps } from '../runs/run-view.js';
import { currentStepRecord, isDone } from '../runs/step-ledger.js';
import type { FinalizeJobData, RunError } from '../runs/run.types.js';
import { STEP_NAMES } from '../steps/step-graph.js';

export interface FinalizeDeps extends RunCommandDeps {
  logger: Logger;
  rollbackOnFailure: 'auto' | 'manual';
  /** Queues the completion callback of a run that has reached a final state (idempotent). */
  notify?: (runId: string) => Promise<void>;
}

/**
 * The flow's root. BullMQ runs it once every step below it has stopped, so this is
 * the one place that decides: every step done → `succeeded`; otherwise `failed`,
 * naming the step that failed first (not the ones that were skipped because of it),
 * then the rollback when ROLLBACK_ON_FAILURE=auto. The callback goes once the run is final:
 * here when it succeeded or waits for an operator, after the rollback otherwise.
 */
export async function processFinalize(deps: FinalizeDeps, job: Job<FinalizeJobData>): Promise<{ state: string }> {
  const { runId } = job.data;
  const run = await deps.store.get(runId);
  if (!run) return { state: 'missing' };
  // An older generation's finalize retried late, after a retry of the run: the run has moved on.
  if (job.data.generation !== run.generation) return { state: run.state };
  const log = deps.logger.child({ runId, clientId: run.clientId, jobId: job.id });
  // A retry of this job after a crash between the writes below: finish what was left.
  if (run.state === 'rolling_back') {
    // A retry of this job after a crash between the two writes below.
    await enqueueRollback(deps, run, run.rollbacks);
    return { state: run.state };
  }
  if (run.state === 'failed' && deps.rollbackOnFailure === 'auto') {
    await startRollback(deps, runId);
    return { state: 'rolling_back' };
  }
  if (run.state === 'succeeded' || run.state === 'failed') {
    await deps.notify?.(runId);
    return { state: run.state };
  }
  if (run.state !== 'queued' && run.state !== 'running') return { state: run.state };

  let rootCause: RunError | undefined;
  let firstFailure: RunError | undefined;
  for (const step of STEP_NAMES) {
    const record = await currentStepRecord(deps.queues, run, step);
    if (isDone(record)) continue;
    const view = (record?.state === 'failed' ? record.error : undefined) ?? {
      code: 'INTERNAL',
      message: `step ended ${record?.state ?? 'without a record'}`,
      retryable: true,
    };
    firstFailure ??= { step, ...view };
    if (view.code !== 'DEPENDENCY_FAILED') rootCause ??= { step, ...view };
  }
  const now = new Date().toISOString();
  const error = rootCause ?? firstFailure;
  await deps.store.setSettled(runId, await settleSteps(deps.queues, run));
  const seconds = (Date.parse(now) - Date.parse(run.createdAt)) / 1000;
  if (!error) {
    const moved = await deps.store.transition(runId, ['queued', 'running'], 'succeeded', {
      finishedAt: now,
      error: null,
    });
    if (moved.ok) recordRunFinished('succeeded', seconds);
    log.info('run succeeded');
  } else {
    const moved = await deps.store.transition(runId, ['queued', 'running'], 'failed', { error, finishedAt: now });
    log.warn({ step: error.step, code: error.code }, `run failed: ${error.message}`);
    failpoint('finalize.after-failed');
    if (deps.rollbackOnFailure === 'auto') {
      await startRollback(deps, runId); // the callback goes when the rollback has ended
      return { state: 'failed' };
    }
    if (moved.ok) recordRunFinished('failed', seconds);
  }
  await deps.notify?.(runId);
  return { state: error ? 'failed' : 'succeeded' };
}
