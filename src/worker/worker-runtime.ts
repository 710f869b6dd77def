import { Worker, type Job } from 'bullmq';
import { createSealer } from '../shared/crypto.js';
import { EvictingRedisError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { metricsSink, recordingTo } from '../shared/metrics.js';
import { assertRedisReachable, createRedis, evictionPolicy } from '../shared/redis.js';
import { createProviderClients, type ProviderClients } from '../providers/provider-clients.js';
import type { ProvidersConfig } from '../providers/provider-config.js';
import { CALLBACK_QUEUE, createQueues, PROVISION_QUEUE, ROLLBACK_QUEUE } from '../runs/queues.js';
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
export interface WorkerSettings {
  redisUrl: string;
  queuePrefix: string;
  encryptionKey: Buffer;
  rollbackOnFailure: 'auto' | 'manual';
  callbacks: CallbackSettings;
  worker: WorkerTuning;
  providers: ProvidersConfig;
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
  await assertRedisReachable(config.redisUrl);
  const connection = createRedis(config.redisUrl, 'worker');
  connection.on('error', (err) => logger.error({ err: err.message }, 'redis connection error'));
  const policy = await evictionPolicy(connection);
  if (policy !== 'noeviction') {
    connection.disconnect();
    throw new EvictingRedisError(policy);
  }

  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const store = new RunStore(queues.connection, config.queuePrefix);
  const clients =
    overrides.clients ?? createProviderClients(config.providers, { timeoutMs: config.worker.providerTimeoutMs });
  const steps = new Map(STEPS.map((s) => [s.name, s]));
  const callbackDeps = { store, queues, settings: config.callbacks, logger };
  const notify = (runId: string) => enqueueCallback(callbackDeps, runId);
  if (!config.callbacks.secret) logger.warn('CALLBACK_SECRET is not set: runs with a callbackUrl get no callback');
  // What a job measures goes to Redis, where the API reads it for /metrics.
  const metrics = metricsSink(queues.connection, config.queuePrefix);
  const flow = { stepAttempts: config.worker.stepAttempts, stepBackoffMs: config.worker.stepBackoffMs };
  const timings = {
    pollIntervalMs: config.worker.pollIntervalMs,
    supabaseReadyTimeoutMs: config.worker.supabaseReadyTimeoutMs,
  };
  const sealer = createSealer(config.encryptionKey);
  const common = { store, queues, flow, providers: config.providers, timings, clients, sealer, logger, steps };
  const workerOptions = {
    connection,
    prefix: config.queuePrefix,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
  };

  const provision = new Worker(
    PROVISION_QUEUE,
    recordingTo(metrics, async (job: Job, _token?: string, signal?: AbortSignal) =>
      job.name === 'finalize'
        ? processFinalize(
            { ...common, rollbackOnFailure: config.rollbackOnFailure, notify },
            job as Job<FinalizeJobData>,
          )
        : processStep(common, job as Job<StepJobData>, signal),
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
  logger.info({ concurrency: config.worker.concurrency, prefix: config.queuePrefix }, 'worker started');

  return {
    async close() {
      await Promise.allSettled([provision.close(), rollback.close(), callback.close()]);
      await queues.close();
      connection.disconnect();
    },
  };
}
