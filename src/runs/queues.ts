import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../shared/redis.js';

export const PROVISION_QUEUE = 'provision';
export const ROLLBACK_QUEUE = 'rollback';
/** Signed completion callbacks, one job per run and final state (src/worker/callbacks.ts). */
export const CALLBACK_QUEUE = 'callback';

/** The producer side of the queues: what the API and the worker both enqueue with. */
export interface Queues {
  connection: Redis;
  provision: Queue;
  rollback: Queue;
  callback: Queue;
  flows: FlowProducer;
  prefix: string;
  close(): Promise<void>;
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const connection = createRedis(redisUrl, 'producer');
  connection.on('error', () => undefined); // surfaced by /readyz and by the calls that fail
  const provision = new Queue(PROVISION_QUEUE, { connection, prefix });
  const rollback = new Queue(ROLLBACK_QUEUE, { connection, prefix });
  const callback = new Queue(CALLBACK_QUEUE, { connection, prefix });
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
    async close() {
      await Promise.allSettled([provision.close(), rollback.close(), callback.close(), flows.close()]);
      connection.disconnect();
    },
  };
}
