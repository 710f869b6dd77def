import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../shared/redis.js';

export const PROVISION_QUEUE = 'provision';
export const ROLLBACK_QUEUE = 'rollback';

/** The producer side of the two queues: what the API and the worker both enqueue with. */
export interface Queues {
  connection: Redis;
  provision: Queue;
  rollback: Queue;
  flows: FlowProducer;
  prefix: string;
  close(): Promise<void>;
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const connection = createRedis(redisUrl, 'producer');
  connection.on('error', () => undefined); // surfaced by /readyz and by the calls that fail
  const provision = new Queue(PROVISION_QUEUE, { connection, prefix });
  const rollback = new Queue(ROLLBACK_QUEUE, { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  // Their errors are the connection's (surfaced as above); without a listener BullMQ prints each one.
  provision.on('error', () => undefined);
  rollback.on('error', () => undefined);
  flows.on('error', () => undefined);
  return {
    connection,
    provision,
    rollback,
    flows,
    prefix,
    async close() {
      await Promise.allSettled([provision.close(), rollback.close(), flows.close()]);
      connection.disconnect();
    },
  };
}
