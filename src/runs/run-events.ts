import { QueueEvents } from 'bullmq';
import { createRedis, type RedisClient, type RedisTarget } from '../shared/redis.js';
import { runIdOfJobId } from './flow-builder.js';
import { PROVISION_QUEUE, ROLLBACK_QUEUE } from './queues.js';
import type { RunState } from './run.types.js';

/**
 * What changed, for pages that follow runs live: a run moved to a state (the run store
 * publishes it with each transition), or something happened to one of its steps (a BullMQ
 * job of the run started, finished, failed or was delayed; a compensation was recorded).
 */
export type RunEvent = { type: 'run'; runId: string; state: RunState } | { type: 'step'; runId: string };

const channelOf = (prefix: string) => `${prefix}:run-events`;

export async function publishRunEvent(redis: RedisClient, prefix: string, event: RunEvent): Promise<void> {
  await redis.publish(channelOf(prefix), JSON.stringify(event));
}

export type RunEventListener = (event: RunEvent) => void;

const JOB_EVENTS = ['active', 'completed', 'failed', 'delayed', 'waiting', 'progress', 'removed'] as const;

/**
 * One subscription to Redis per process, fanned out to every listener (each open console
 * page). Connects on the first listener, so a process nobody watches opens nothing.
 * Delivery is at most once, like Redis pub/sub and BullMQ's events: a page that reconnects
 * reads the current state again rather than relying on having seen every event.
 */
export class RunEventHub {
  private readonly listeners = new Map<RunEventListener, () => void>();
  private started?: { connections: RedisClient[]; queueEvents: QueueEvents[]; ready: Promise<unknown> };

  constructor(
    private readonly redis: RedisTarget,
    private readonly prefix: string,
  ) {}

  /** `onClose` is called if the hub closes first (the process is stopping). Returns an unsubscribe. */
  subscribe(listener: RunEventListener, onClose: () => void = () => undefined): () => void {
    this.listeners.set(listener, onClose);
    this.started ??= this.start();
    return () => void this.listeners.delete(listener);
  }

  /** Resolves once the hub receives events (the Redis subscription is confirmed). */
  async ready(): Promise<void> {
    await this.started?.ready;
  }

  private emit(event: RunEvent): void {
    for (const listener of this.listeners.keys()) listener(event);
  }

  private start() {
    const subscriber = createRedis(this.redis, 'worker');
    subscriber.on('error', () => undefined); // ioredis reconnects; a page misses events meanwhile
    subscriber.on('message', (_channel: string, message: string) => {
      const event = parseEvent(message);
      if (event) this.emit(event);
    });
    const subscribed = subscriber.subscribe(channelOf(this.prefix));
    const connections = [subscriber];
    const queueEvents = [PROVISION_QUEUE, ROLLBACK_QUEUE].map((name) => {
      const connection = createRedis(this.redis, 'worker');
      connection.on('error', () => undefined);
      connections.push(connection);
      const qe = new QueueEvents(name, { connection, prefix: this.prefix });
      qe.on('error', () => undefined);
      for (const type of JOB_EVENTS) {
        qe.on(type, ({ jobId }: { jobId: string }) => {
          const runId = runIdOfJobId(jobId);
          if (runId) this.emit({ type: 'step', runId });
        });
      }
      return qe;
    });
    // Failing to subscribe is not fatal: ioredis resubscribes when it reconnects.
    const ready = Promise.all([subscribed, ...queueEvents.map((qe) => qe.waitUntilReady())]).catch(() => undefined);
    return { connections, queueEvents, ready };
  }

  async close(): Promise<void> {
    const closing = [...this.listeners.values()];
    this.listeners.clear();
    for (const onClose of closing) onClose();
    const started = this.started;
    this.started = undefined;
    if (!started) return;
    await Promise.allSettled(started.queueEvents.map((qe) => qe.close()));
    for (const connection of started.connections) connection.disconnect();
  }
}

function parseEvent(message: string): RunEvent | undefined {
  try {
    const e = JSON.parse(message) as Partial<RunEvent>;
    return typeof e.runId === 'string' && (e.type === 'run' || e.type === 'step') ? (e as RunEvent) : undefined;
  } catch {
    return undefined;
  }
}
