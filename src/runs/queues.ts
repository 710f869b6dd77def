import { FlowProducer, Queue } from 'bullmq';
import { clusterNodesOf, createRedis, hashTagOf, type RedisClient, type RedisTarget } from '../shared/redis.js';

export const PROVISION_QUEUE = 'provision';
export const ROLLBACK_QUEUE = 'rollback';
/** Signed completion callbacks, one job per run and final state (src/worker/callbacks.ts). */
export const CALLBACK_QUEUE = 'callback';
/** The reconciler's scheduled passes (src/worker/reconciler.ts). */
export const MAINTENANCE_QUEUE = 'maintenance';

/**
 * How long finished jobs stay in Redis (BullMQ's removeOnComplete/removeOnFail): by age and by
 * count, whichever comes first. Nothing depends on a finished job: the run record keeps each
 * step's outcome, resources and sealed secrets (src/runs/step-ledger.ts).
 */
export interface JobRetention {
  ageSeconds: number;
  count: number;
}

/** BullMQ's job options for a retention; none (kept for ever) when there is none. */
export function retentionOptions(retention: JobRetention | undefined) {
  if (!retention) return {};
  const keep = { age: retention.ageSeconds, count: retention.count };
  return { removeOnComplete: keep, removeOnFail: keep };
}

/** The producer side of the queues: what the API and the worker both enqueue with. */
export interface Queues {
  connection: RedisClient;
  provision: Queue;
  rollback: Queue;
  callback: Queue;
  flows: FlowProducer;
  prefix: string;
  /** What every job added through these queues (flows included) carries. */
  retention?: JobRetention;
  close(): Promise<void>;
}

export function createQueues(target: RedisTarget, prefix: string, retention?: JobRetention): Queues {
  // On a cluster a flow's scripts touch keys of several queues at once: one hash tag puts them in one slot.
  if (clusterNodesOf(target) && !hashTagOf(prefix))
    throw new Error(`queue prefix "${prefix}" has no {hash tag}: on a Redis Cluster use clusterPrefix()`);
  const connection = createRedis(target, 'producer');
  connection.on('error', () => undefined); // surfaced by /readyz and by the calls that fail
  const defaultJobOptions = retentionOptions(retention);
  const provision = new Queue(PROVISION_QUEUE, { connection, prefix, defaultJobOptions });
  const rollback = new Queue(ROLLBACK_QUEUE, { connection, prefix, defaultJobOptions });
  const callback = new Queue(CALLBACK_QUEUE, { connection, prefix, defaultJobOptions });
  const flows = new FlowProducer({ connection, prefix });
  // Their errors are the connection's (surfaced as above); without a listener BullMQ prints each one.
  provision.on('error', () => undefined);
  rollback.on('error', () => undefined);
  flows.on('error', () => undefined);
  return {
    connection,
    provision,
    rollback,
    callback,
    flows,
    prefix,
    ...(retention ? { retention } : {}),
    async close() {
      await Promise.allSettled([provision.close(), rollback.close(), callback.close(), flows.close()]);
      connection.disconnect();
    },
  };
}
