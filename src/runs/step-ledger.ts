import { Job } from 'bullmq';
import { AppError, type ErrorView } from '../shared/errors.js';
import { failpoint } from '../shared/failpoints.js';
import type { StepName } from '../steps/step-graph.js';
import type { Resources } from '../steps/step.types.js';
import type { Queues } from './queues.js';
import type { RedisClient } from '../shared/redis.js';
import type { RunStore } from './run-store.js';
import { jobError } from './step-failures.js';
import { attemptsOf, type RunRecord, type StepJobData, type StepJobResult, type StepRecord } from './run.types.js';

/** Marks an error for a job the worker will not run (its run is over, or it is not the run's job): nothing is recorded. */
export const REFUSED = { refused: true };

export const isDone = (record: StepRecord | undefined): boolean =>
  record?.state === 'succeeded' || record?.state === 'skipped';

/**
 * A step's record as its current job writes it: to the run record first (the system of record,
 * compare-and-set on the run's job for the step), then to the job's data (its copy while in flight,
 * what Bull Board shows). A job the run has moved past is refused before it writes anything.
 */
export class StepLedger {
  private constructor(
    private readonly store: RunStore,
    private readonly job: Job<StepJobData>,
    private current: StepRecord,
    /** The lock token this worker holds the job with, and the signal that aborts when it loses it. */
    private readonly holder?: { token: string; signal?: AbortSignal | undefined; redis: RedisClient },
  ) {}

  /**
   * Throws LOCK_LOST unless this worker still holds the job's lock (BullMQ keeps the holder's token
   * under `<job key>:lock`): a worker that stalled past its lock and resumed must not create what the
   * worker that took the job over is creating. Without a holder (a job run outside a worker) it only
   * checks nothing aborted.
   */
  async fence(): Promise<void> {
    failpoint('step.before-create');
    if (this.holder?.signal?.aborted) throw this.lockLost();
    if (!this.holder) return;
    if ((await this.holder.redis.get(this.lockKey())) !== this.holder.token) throw this.lockLost();
  }

  /** BullMQ keeps the token of the worker holding a job under `<prefix>:<queue>:<job id>:lock`. */
  private lockKey(): string {
    return `${this.job.queueQualifiedName}:${this.job.id!}:lock`;
  }

  /** Nothing more is recorded for a job this worker lost (REFUSED): the worker that has it records. */
  private lockLost(): AppError {
    return new AppError('LOCK_LOST', `job ${this.job.id} is no longer held by this worker; nothing more done`, {
      retryable: true,
      details: REFUSED,
    });
  }

  /** The record the job starts from: what the run and the job already hold of the step, merged. */
  static open(
    store: RunStore,
    run: RunRecord,
    job: Job<StepJobData>,
    holder?: { token: string; signal?: AbortSignal | undefined; redis: RedisClient },
  ): StepLedger {
    const prior = run.steps[job.data.step];
    const began = prior?.resources !== undefined || job.data.resources !== undefined;
    const startedAt = job.data.startedAt ?? prior?.startedAt;
    return new StepLedger(
      store,
      job,
      {
        jobId: job.id!,
        state: 'running',
        ...(began ? { resources: { ...prior?.resources, ...job.data.resources } } : {}),
        ...(began ? { sealed: { ...prior?.sealed, ...job.data.sealed } } : {}),
        attempts: prior?.attempts ?? job.data.priorAttempts ?? 0,
        ...(startedAt ? { startedAt } : {}),
        ...(prior?.error ? { error: prior.error } : {}),
      },
      holder,
    );
  }

  /**
   * The step gets past its checks: from here on it may create something, so the run record
   * says so (resources present, maybe empty) before any provider call.
   */
  async begin(now = new Date()): Promise<void> {
    await this.save({
      state: 'running',
      resources: this.current.resources ?? {},
      sealed: this.current.sealed ?? {},
      attempts: attemptsOf(this.job),
      startedAt: this.current.startedAt ?? now.toISOString(),
    });
  }

  /** The ledger of a job that failed before it opened one (a step it needs failed): read from its run. */
  static async forJob(store: RunStore, job: Job<StepJobData>): Promise<StepLedger | undefined> {
    const run = await store.get(job.data.runId);
    return run && StepLedger.open(store, run, job);
  }

  get record(): StepRecord {
    return this.current;
  }

  async save(patch: Partial<Omit<StepRecord, 'jobId'>>): Promise<void> {
    const next: StepRecord = { ...this.current, ...patch };
    const { runId, step } = this.job.data;
    const lock = this.holder ? { key: this.lockKey(), token: this.holder.token } : undefined;
    const written = await this.store.setStep(runId, step, next, lock);
    if (written === 'lock_lost') throw this.lockLost();
    if (written === 'moved_on')
      throw new AppError('INVALID_STATE', `job ${this.job.id} is no longer the run's ${step} job`, {
        details: REFUSED,
      });
    this.current = next;
    await this.job.updateData({
      ...this.job.data,
      ...(next.resources ? { resources: next.resources } : {}),
      ...(next.sealed ? { sealed: next.sealed } : {}),
      ...(next.startedAt ? { startedAt: next.startedAt } : {}),
    });
  }

  /** Records what the step created (and secrets, already sealed) as soon as it exists. */
  async checkpoint(resources: Resources | undefined, sealed: Record<string, string> | undefined): Promise<void> {
    // What a create returned (resources, not only a secret made up before it) is about to be recorded.
    if (resources && Object.keys(resources).length) failpoint('step.before-record');
    await this.save({
      resources: { ...this.current.resources, ...resources },
      sealed: { ...this.current.sealed, ...sealed },
    });
  }

  async fail(error: ErrorView, final: boolean, now = new Date()): Promise<void> {
    // A step not run because one it needs failed spent no attempt of its own.
    const notRun = error.code === 'DEPENDENCY_FAILED';
    await this.save({
      error,
      attempts: notRun ? (this.job.data.priorAttempts ?? 0) : attemptsOf(this.job),
      ...(final ? { state: 'failed' as const, finishedAt: now.toISOString() } : {}),
    });
  }
}

/**
 * A step as it stands for the run's current job for it: its record once that job wrote its end;
 * otherwise read off the job where it still exists (a job that ended outside the processor,
 * stalled out say, or a run recorded before step records existed), the record's resources kept.
 * Nothing here needs the job to exist: a job removed by retention leaves the record.
 */
export async function currentStepRecord(
  queues: Queues,
  run: RunRecord,
  step: StepName,
): Promise<StepRecord | undefined> {
  const jobId = run.stepJobs[step];
  const record = run.steps[step];
  if (!jobId) return undefined;
  if (record?.jobId === jobId && record.state !== 'running') return record;
  const job = await stepJob({ queues }, run, step);
  if (!job) return record?.jobId === jobId ? record : undefined;
  return fromJob(job, await job.getState(), record?.jobId === jobId ? record : undefined);
}

function fromJob(job: Job<StepJobData>, state: string, record: StepRecord | undefined): StepRecord {
  const result = job.returnvalue as StepJobResult | null | undefined;
  const error = jobError(job) ?? record?.error;
  const began = record?.resources !== undefined || job.data.resources !== undefined;
  const startedAt = record?.startedAt ?? job.data.startedAt;
  const finishedAt = job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined;
  return {
    jobId: job.id!,
    state:
      state === 'completed'
        ? result?.outcome === 'skipped'
          ? 'skipped'
          : 'succeeded'
        : state === 'failed'
          ? 'failed'
          : 'running',
    ...(began ? { resources: { ...job.data.resources, ...result?.resources, ...record?.resources } } : {}),
    ...(began ? { sealed: { ...job.data.sealed, ...result?.sealed, ...record?.sealed } } : {}),
    attempts: Math.max(record?.attempts ?? 0, attemptsOf(job)),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt && (state === 'completed' || state === 'failed') ? { finishedAt } : {}),
    ...(error ? { error } : {}),
  };
}

/** The run's current job for a step, if it still exists (finished jobs are removed by age and count). */
export async function stepJob(
  deps: { queues: Queues },
  run: RunRecord,
  step: StepName,
): Promise<Job<StepJobData> | undefined> {
  const id = run.stepJobs[step];
  return id ? ((await Job.fromId<StepJobData>(deps.queues.provision, id)) ?? undefined) : undefined;
}
