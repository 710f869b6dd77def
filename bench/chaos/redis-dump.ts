import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Sealer } from '../../src/shared/crypto.js';
import { sealContext } from '../../src/runs/step-context.js';
import type { StepName } from '../../src/steps/step-graph.js';

/**
 * What the chaos run reads straight from its private Redis, after the runs: every value (to look
 * for secrets in clear, SPEC 4.4), and the record and jobs of a run that did not finish (the story
 * of a stuck run). Nothing here writes.
 */

/** Every key and its value as text: strings, hashes, lists, sets, sorted sets, streams. */
export async function dumpRedis(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      else continue;
      out.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
  } while (cursor !== '0');
  return out;
}

/**
 * The secrets a run sealed into Redis, opened with the deployment's key (the DB password, the
 * Supabase keys): whatever object in a job's data or a run's record carries `runId`, `step` and a
 * `sealed` map. Opened only to know what to look for in clear.
 */
export function openSealed(dump: Map<string, string>, sealer: Sealer): Map<string, string> {
  const secrets = new Map<string, string>();
  const visit = (x: unknown, runId: string | undefined, step: string | undefined): void => {
    if (typeof x === 'string') {
      if (x.startsWith('{') || x.startsWith('[')) {
        try {
          visit(JSON.parse(x), runId, step);
        } catch {
          // not JSON
        }
      }
      return;
    }
    if (Array.isArray(x)) return x.forEach((y) => visit(y, runId, step));
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    const r = typeof o.runId === 'string' ? o.runId : runId;
    const s = typeof o.step === 'string' ? o.step : step;
    if (r && s && o.sealed && typeof o.sealed === 'object') {
      for (const [name, value] of Object.entries(o.sealed as Record<string, unknown>)) {
        if (typeof value !== 'string') continue;
        try {
          secrets.set(`${s}.${name} of run ${r}`, sealer.open(value, sealContext(r, s as StepName, name)));
        } catch {
          // sealed for another context (a value copied between steps): not ours to name
        }
      }
    }
    for (const v of Object.values(o)) visit(v, r, s);
  };
  for (const value of dump.values()) visit(value, undefined, undefined);
  return secrets;
}

/** Which of `secrets` (name → value) appear in clear in the dump, and where. */
export function secretsInClear(
  dump: Map<string, string>,
  secrets: Map<string, string>,
): { secret: string; key: string }[] {
  const found: { secret: string; key: string }[] = [];
  for (const [name, value] of secrets) {
    if (value.length < 8) continue;
    for (const [key, text] of dump) if (text.includes(value)) found.push({ secret: name, key });
  }
  return found;
}

/** A stuck run's record (the hash, history fields folded) and each of its jobs: state, attempts, reason. */
export async function stuckStory(redis: Redis, prefix: string, runId: string): Promise<Record<string, unknown>> {
  const record = await redis.hgetall(`${prefix}:run:${runId}`);
  const jobs: Record<string, unknown>[] = [];
  for (const queueName of ['provision', 'rollback']) {
    // The caller's connection, shared: closing the queue leaves it open.
    const queue = new Queue(queueName, { connection: redis, prefix });
    try {
      const ids = await jobIdsOf(redis, `${prefix}:${queueName}:`, runId);
      for (const id of ids) {
        const job = await Job.fromId(queue, id);
        if (!job) continue;
        jobs.push({
          queue: queueName,
          id,
          state: await job.getState(),
          attemptsMade: job.attemptsMade,
          attemptsStarted: job.attemptsStarted,
          stalledCounter: job.stalledCounter,
          failedReason: job.failedReason?.slice(0, 300),
          processedOn: job.processedOn ? new Date(job.processedOn).toISOString() : undefined,
          finishedOn: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
        });
      }
    } finally {
      await queue.close();
    }
  }
  return { record, jobs };
}

/** Job ids of a run in one queue: every job id of a run starts with the run id. */
async function jobIdsOf(redis: Redis, queueKey: string, runId: string): Promise<string[]> {
  const ids = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${queueKey}${runId}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const rest = k.slice(queueKey.length);
      // `<jobId>` is the job's hash; `<jobId>:lock`, `:logs`, `:dependencies`... are its other keys.
      if (!rest.includes(':')) ids.add(rest);
    }
  } while (cursor !== '0');
  return [...ids].sort();
}
