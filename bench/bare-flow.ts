import { randomUUID } from 'node:crypto';
import { FlowProducer, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { buildFlow } from '../src/runs/flow-builder.js';
import { PROVISION_QUEUE } from '../src/runs/queues.js';
import { buildRequest } from '../test/support/factories.js';

/**
 * A bare BullMQ flow of a run's shape: the product's own flow tree (src/runs/flow-builder.ts:
 * seven jobs, `finalize` over the steps, same options) in a queue of its own, whose jobs do
 * nothing. It is what BullMQ and Redis alone cost on this machine.
 */
export interface BareFlow {
  /** One flow, added and awaited: ms from add to `finalize` completed. */
  one(): Promise<number>;
  /** `n` flows added at once: ms from the first add to the last `finalize` completed. */
  many(n: number): Promise<number>;
  close(): Promise<void>;
}

export async function startBareFlow(redisUrl: string, concurrency: number): Promise<BareFlow> {
  const prefix = `benchbare${randomUUID().slice(0, 8)}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const producer = new FlowProducer({ connection, prefix });
  const done = new Map<string, (finishedOn: number) => void>();
  const workerConnection = connection.duplicate();
  const worker = new Worker(PROVISION_QUEUE, async () => ({}), {
    connection: workerConnection,
    prefix,
    concurrency,
  });
  worker.on('completed', (job: Job) => {
    // Jobs are named for people (`finalize · acme`); the id says what a job is.
    if (!job.id?.endsWith('-finalize')) return;
    const runId = (job.data as { runId: string }).runId;
    done.get(runId)?.(job.finishedOn ?? Date.now());
    done.delete(runId);
  });
  await worker.waitUntilReady();
  const options = { stepAttempts: 5, stepBackoffMs: 2000 };

  const add = async (): Promise<{ added: Promise<void>; finished: Promise<number> }> => {
    const runId = randomUUID();
    const finished = new Promise<number>((resolve) => done.set(runId, resolve));
    const added = producer.add(buildFlow(runId, 1, buildRequest(), options)).then(() => undefined);
    return { added, finished };
  };

  return {
    async one() {
      const t0 = Date.now();
      const { added, finished } = await add();
      await added;
      return (await finished) - t0;
    },
    async many(n) {
      const t0 = Date.now();
      const flows = await Promise.all(Array.from({ length: n }, add));
      await Promise.all(flows.map((f) => f.added));
      const ends = await Promise.all(flows.map((f) => f.finished));
      return Math.max(...ends) - t0;
    },
    async close() {
      await worker.close();
      await producer.close();
      workerConnection.disconnect();
      let cursor = '0';
      do {
        const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await connection.unlink(...keys);
      } while (cursor !== '0');
      connection.disconnect();
    },
  };
}
