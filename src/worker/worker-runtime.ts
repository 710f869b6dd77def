import { Worker, type Job } from 'bullmq';
import { createSealer } from '../shared/crypto.js';
import { createOutboundPolicy, type OutboundSettings } from '../shared/outbound.js';
import type { Logger } from '../shared/logger.js';
import { metricsSink, recordingTo } from '../shared/metrics.js';
import { assertNoEviction, assertRedisReachable, createRedis, type RedisEndpoints } from '../shared/redis.js';
import { createProviderClients, type ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { createRateBudget } from '../providers/rate-budget.js';
import type { ProviderName } from '../shared/providers.js';
import { CALLBACK_QUEUE, createQueues, PROVISION_QUEUE, ROLLBACK_QUEUE, type JobRetention } from '../runs/queues.js';
import { armFailpoints, type Failpoint } from '../shared/failpoints.js';
import { startReconciler, type ReconcilerSettings } from './reconciler.js';
import { RunStore } from '../runs/run-store.js';
import type { CallbackJobData, FinalizeJobData, RollbackJobData, StepJobData } from '../runs/run.types.js';
import { processRollback } from '../rollback/rollback.processor.js';
import { assertGraphIsForest } from '../steps/step-graph.js';
import { STEPS } from '../steps/step-table.js';
import { enqueueCallback, processCallback, type CallbackSettings } from './callbacks.js';
import { processFinalize } from './finalize.js';
import { processStep, providerBackoff } from './step-processor.js';

/** How the worker runs jobs: concurrency, attempts, locks, provider timeouts. */
export interface WorkerTuning {
  concurrency: number;
  stepAttempts: number;
  stepBackoffMs: number;
  compensationAttempts: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  providerTimeoutMs: number;
  supabaseReadyTimeoutMs: number;
  pollIntervalMs: number;
  /** How long a step (or a compensation) may wait for providers' rate limits before it fails. */
  stepDeadlineMs: number;
}

/** What the worker needs of the configuration. */
export interface WorkerSettings extends RedisEndpoints {
  queuePrefix: string;
  encryptionKey: Buffer;
  /** ENCRYPTION_KEYS, newest first: seals with the first, opens with any (default: `encryptionKey`). */
  encryptionKeys?: Buffer[];
  /** Where callbacks may be sent (default: nowhere internal, loopback included). */
  callbacks?: OutboundSettings;
  rollbackOnFailure: 'auto' | 'manual';
  /** How completion callbacks are signed and retried. */
  callbackDelivery: CallbackSettings;
  worker: WorkerTuning;
  providers: ProvidersConfig;
  rateBudgets: RateBudgetSettings;
  /** When finished jobs are removed (default: kept). */
  jobRetention?: JobRetention;
  /** How long a `rolled_back` run is kept (0 or absent: for ever). */
  finishedRunTtlMs?: number;
  reconciler: ReconcilerSettings;
  /** Seams at which this process dies, for tests (src/shared/failpoints.ts); never in production. */
  failpoints?: Failpoint[];
}

/** The providers' rate limits as budgets shared in Redis (src/providers/rate-budget.ts). */
export interface RateBudgetSettings {
  enabled: boolean;
  /** Per provider: the scale of the documented windows (the sandbox's time scale when emulated). */
  timeScale: Record<ProviderName, number>;
  /** Points per window by rule id, replacing the documented defaults. */
  points: Record<string, number>;
  /** A wait for budget longer than this steps the job aside (delayed) instead of holding its slot. */
  maxInlineWaitMs: number;
}

export interface WorkerRuntime {
  close(): Promise<void>;
}

/** Wires the two queues to their processors; holds no provider logic. */
export async function startWorkers(
  config: WorkerSettings,
  logger: Logger,
  overrides: { clients?: ProviderClients } = {},
): Promise<WorkerRuntime> {
  assertGraphIsForest();
  await assertRedisReachable(config);
  const connection = createRedis(config, 'worker');
  connection.on('error', (err: Error) => logger.error({ err: err.message }, 'redis connection error'));
  await assertNoEviction(connection).catch((e: unknown) => {
    connection.disconnect();
    throw e;
  });

  armFailpoints(config.failpoints ?? []);
  const queues = createQueues(config, config.queuePrefix, config.jobRetention);
  const store = new RunStore(queues.connection, config.queuePrefix, 'worker', {
    finishedRunTtlMs: config.finishedRunTtlMs ?? 0,
  });
  const budget = config.rateBudgets.enabled
    ? createRateBudget({
        redis: queues.connection,
        prefix: config.queuePrefix,
        timeScale: config.rateBudgets.timeScale,
        points: config.rateBudgets.points,
        maxInlineWaitMs: config.rateBudgets.maxInlineWaitMs,
        inFlightMs: config.worker.providerTimeoutMs,
      })
    : undefined;
  const clients =
    overrides.clients ??
    createProviderClients(config.providers, {
      timeoutMs: config.worker.providerTimeoutMs,
      ...(budget ? { budget } : {}),
    });
  const steps = new Map(STEPS.map((s) => [s.name, s]));
  const outbound = createOutboundPolicy(
    config.callbacks ?? { allowLoopback: false, allowedHosts: [], allowedNetworks: [] },
  );
  const callbackDeps = { store, queues, settings: config.callbackDelivery, logger, outbound };
  const notify = (runId: string) => enqueueCallback(callbackDeps, runId);
  if (!config.callbackDelivery.secret)
    logger.warn('CALLBACK_SECRET is not set: runs with a callbackUrl get no callback');
  // What a job measures goes to Redis, where the API reads it for /metrics.
  const metrics = metricsSink(queues.connection, config.queuePrefix);
  const flow = { stepAttempts: config.worker.stepAttempts, stepBackoffMs: config.worker.stepBackoffMs };
  const timings = {
    pollIntervalMs: config.worker.pollIntervalMs,
    supabaseReadyTimeoutMs: config.worker.supabaseReadyTimeoutMs,
  };
  const sealer = createSealer(config.encryptionKeys?.length ? config.encryptionKeys : config.encryptionKey);
  const common = { store, queues, flow, providers: config.providers, timings, clients, sealer, logger, steps };
  const rateLimits = {
    stepDeadlineMs: config.worker.stepDeadlineMs,
    windowMs: Object.fromEntries(
      Object.entries(config.rateBudgets.timeScale).map(([p, scale]) => [p, Math.ceil(60_000 * scale)]),
    ),
  };
  const workerOptions = {
    connection,
    prefix: config.queuePrefix,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
  };

  const provision = new Worker(
    PROVISION_QUEUE,
    // Dispatch on the data (a step job names its step), so job names are free to read well in Bull Board.
    recordingTo(metrics, async (job: Job<StepJobData | FinalizeJobData>, token?: string, signal?: AbortSignal) =>
      'step' in job.data
        ? processStep({ ...common, rateLimits }, job as Job<StepJobData>, signal, token)
        : processFinalize(
            { ...common, rollbackOnFailure: config.rollbackOnFailure, notify },
            job as Job<FinalizeJobData>,
          ),
    ),
    {
      ...workerOptions,
      concurrency: config.worker.concurrency,
      settings: { backoffStrategy: providerBackoff(config.worker.stepBackoffMs) },
    },
  );
  const rollback = new Worker(
    ROLLBACK_QUEUE,
    recordingTo(metrics, async (job: Job, _token?: string, signal?: AbortSignal) =>
      processRollback(
        {
          ...common,
          notify,
          compensation: {
            attempts: config.worker.compensationAttempts,
            backoffMs: Math.min(config.worker.stepBackoffMs, 5000),
            maxRateLimitWaitMs: config.worker.stepDeadlineMs,
          },
        },
        job as Job<RollbackJobData>,
        signal,
      ),
    ),
    { ...workerOptions, concurrency: Math.max(2, Math.ceil(config.worker.concurrency / 4)) },
  );
  const callback = new Worker(
    CALLBACK_QUEUE,
    async (job: Job) => processCallback(callbackDeps, job as Job<CallbackJobData>),
    { ...workerOptions, concurrency: 4 },
  );
  for (const w of [provision, rollback, callback]) {
    // A lock it could not renew is a job another worker may take over: abort it, so the step stops
    // (its provider calls take the signal) and its fence refuses any create still to come.
    w.on('lockRenewalFailed', (jobIds) => {
      for (const id of jobIds) w.cancelJob(id, 'lock lost');
      logger.warn({ queue: w.name, jobIds }, 'lost the lock of jobs: aborted them');
    });
    w.on('error', (err) => logger.error({ err: err.message, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) =>
      logger.warn(
        {
          queue: w.name,
          jobId: job?.id,
          runId: (job?.data as { runId?: string } | undefined)?.runId,
          attempts: job?.attemptsMade,
        },
        `job attempt failed: ${err.message}`,
      ),
    );
  }
  const reconciler = await startReconciler(
    { store, queues, flow, logger, rollbackOnFailure: config.rollbackOnFailure, notify },
    config.reconciler,
    { connection, prefix: config.queuePrefix },
  );
  logger.info({ concurrency: config.worker.concurrency, prefix: config.queuePrefix }, 'worker started');

  return {
    async close() {
      await Promise.allSettled([provision.close(), rollback.close(), callback.close(), reconciler.close()]);
      await budget?.close();
      await queues.close();
      connection.disconnect();
    },
  };
}
