import { Job, Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { resumeRun, startRollback, enqueueRollback, type RunCommandDeps } from '../runs/run-commands.js';
import { rollbackJobId, stepJobId } from '../runs/flow-builder.js';
import { MAINTENANCE_QUEUE } from '../runs/queues.js';
import type { RunRecord } from '../runs/run.types.js';
import { abandonRollback } from '../rollback/rollback.processor.js';

export interface ReconcilerSettings {
  /** How often the reconciler looks (a BullMQ job scheduler: one pass per interval per deployment). */
  intervalMs: number;
  /** A run is looked at once its state has not changed for this long (a fresh one is still being set up). */
  quietMs: number;
  /** No run stays in one transitional state longer than this: then it is failed, or its rollback ended. */
  deadlineMs: number;
}

export interface ReconcilerDeps extends RunCommandDeps {
  logger: Logger;
  rollbackOnFailure: 'auto' | 'manual';
  notify?: (runId: string) => Promise<void>;
}

/** What one pass did, by kind of repair. */
export interface ReconcileReport {
  looked: number;
  rebuilt: number;
  rollbacksStarted: number;
  rollbacksRequeued: number;
  rollbacksAbandoned: number;
  deadlined: number;
}

/** Job states in which a job is still going to run (or is running). */
const LIVE = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);
const PAGE = 200;
const STALLED_OUT = /stalled more than allowable limit/i;

/**
 * The reconciler drives on runs that the normal path left in a transitional state with no live
 * job (a process died between a state write and its enqueue, a job gave up or was removed), and
 * bounds how long any run stays transitional. It reads only the run record and job states, and
 * acts only through the same compare-and-set commands as everything else, so it is safe beside
 * the workers and beside itself.
 */
export async function reconcile(
  deps: ReconcilerDeps,
  settings: ReconcilerSettings,
  now = Date.now(),
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    looked: 0,
    rebuilt: 0,
    rollbacksStarted: 0,
    rollbacksRequeued: 0,
    rollbacksAbandoned: 0,
    deadlined: 0,
  };
  for (let offset = 0; ; offset += PAGE) {
    const ids = await deps.store.quietActiveRuns(now - settings.quietMs, offset, PAGE);
    for (const id of ids) {
      const run = await deps.store.get(id);
      if (!run) {
        await deps.store.forgetActive(id);
        continue;
      }
      report.looked++;
      try {
        await reconcileRun(deps, settings, run, now, report);
      } catch (err) {
        deps.logger.warn({ runId: id, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed');
      }
    }
    if (ids.length < PAGE) break;
  }
  return report;
}

async function reconcileRun(
  deps: ReconcilerDeps,
  settings: ReconcilerSettings,
  run: RunRecord,
  now: number,
  report: ReconcileReport,
): Promise<void> {
  const log = deps.logger.child({ runId: run.runId, clientId: run.clientId, state: run.state });
  const overdue = now - stateSince(run) > settings.deadlineMs;
  switch (run.state) {
    case 'queued':
    case 'running': {
      if (overdue) {
        const moved = await deps.store.transition(run.runId, [run.state], 'failed', {
          error: {
            code: 'RUN_DEADLINE_EXCEEDED',
            message: `still ${run.state} after ${Math.round(settings.deadlineMs / 1000)} s`,
            retryable: true,
          },
          finishedAt: new Date(now).toISOString(),
        });
        if (!moved.ok) return;
        report.deadlined++;
        log.warn('run failed: deadline exceeded');
        if (deps.rollbackOnFailure === 'auto') await startRollback(deps, run.runId);
        else await deps.notify?.(run.runId);
        return;
      }
      const finalize = await Job.fromId(deps.queues.provision, stepJobId(run.runId, run.generation, 'finalize'));
      if (finalize && LIVE.has(await finalize.getState())) return;
      if (await resumeRun(deps, run, [run.state])) {
        report.rebuilt++;
        log.warn('flow lost: built again from the run record');
      }
      return;
    }
    case 'failed': {
      if (deps.rollbackOnFailure !== 'auto') return; // an operator decides
      await startRollback(deps, run.runId);
      report.rollbacksStarted++;
      log.warn('rollback was not started: started');
      return;
    }
    case 'rolling_back': {
      const job = await Job.fromId(deps.queues.rollback, rollbackJobId(run.runId, run.rollbacks));
      const state = job ? await job.getState() : 'missing';
      // A job that stalled out (its workers kept dying under it) did not give up: it is run again.
      const gaveUp = state === 'failed' && !STALLED_OUT.test(job?.failedReason ?? '');
      if (overdue || gaveUp) {
        const reason = overdue
          ? `rollback still running after ${Math.round(settings.deadlineMs / 1000)} s`
          : `rollback job gave up: ${job?.failedReason ?? 'unknown reason'}`;
        if (await abandonRollback(deps, run, reason)) report.rollbacksAbandoned++;
        return;
      }
      if (LIVE.has(state)) return;
      // Missing (never added, or removed), stalled out, or completed without finishing the run: add it again.
      if (job) await job.remove();
      await enqueueRollback(deps, run, run.rollbacks);
      report.rollbacksRequeued++;
      log.warn(`rollback job ${state}: enqueued again`);
      return;
    }
    default:
      await deps.store.forgetActive(run.runId);
  }
}

/** When the run entered its current state: its last transition. */
function stateSince(run: RunRecord): number {
  const last = run.history.at(-1);
  return Date.parse(last?.at ?? run.updatedAt);
}

export interface Reconciler {
  close(): Promise<void>;
}

/**
 * One job scheduler per deployment (same id from every worker: BullMQ keeps one), so a pass runs
 * once per interval whatever the number of workers, on whichever worker takes it.
 */
export async function startReconciler(
  deps: ReconcilerDeps,
  settings: ReconcilerSettings,
  options: { connection: ConnectionOptions; prefix: string },
): Promise<Reconciler> {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: options.connection, prefix: options.prefix });
  queue.on('error', () => undefined);
  await queue.upsertJobScheduler(
    'reconcile',
    { every: settings.intervalMs },
    { name: 'reconcile', opts: { removeOnComplete: 50, removeOnFail: 50 } },
  );
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async () => {
      const report = await reconcile(deps, settings);
      const acted = report.rebuilt + report.rollbacksStarted + report.rollbacksRequeued + report.rollbacksAbandoned;
      if (acted || report.deadlined) deps.logger.info({ ...report }, 'reconciler repaired runs');
      return report;
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 1 },
  );
  worker.on('error', (err) => deps.logger.error({ err: err.message }, 'reconciler error'));
  return {
    async close() {
      await Promise.allSettled([worker.close(), queue.close()]);
    },
  };
}
