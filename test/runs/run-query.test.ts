import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRuns } from '../../src/runs/run-query.js';
import { RunStore } from '../../src/runs/run-store.js';
import { buildRequest } from '../support/factories.js';
import { REDIS_URL } from '../support/harness.js';

let redis: Redis;
let prefix: string;
let store: RunStore;
/** Seven runs, oldest first; every odd one (1, 3, 5) succeeded. */
const ids: string[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  prefix = `t${randomUUID().slice(0, 8)}`;
  store = new RunStore(redis, prefix);
  for (let i = 0; i < 7; i++) {
    const runId = randomUUID();
    const request = buildRequest();
    await store.claim(runId, request.clientId.toLowerCase(), request, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    if (i % 2 === 1) await store.transition(runId, ['queued'], 'succeeded');
    ids.push(runId);
  }
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('queryRuns', () => {
  it('When runs are paged without a filter, then each page holds the next newest runs and says whether more follow', async () => {
    const first = await queryRuns(store, { page: 1, pageSize: 3 });
    const last = await queryRuns(store, { page: 3, pageSize: 3 });
    expect(first.runs.map((r) => r.runId)).toEqual([ids[6], ids[5], ids[4]]);
    expect(first.hasMore).toBe(true);
    expect(last.runs.map((r) => r.runId)).toEqual([ids[0]]);
    expect(last.hasMore).toBe(false);
  });

  it('When runs are paged by state, then only runs in that state are counted, newest first', async () => {
    const first = await queryRuns(store, { state: 'succeeded', page: 1, pageSize: 2 });
    const second = await queryRuns(store, { state: 'succeeded', page: 2, pageSize: 2 });
    expect(first.runs.map((r) => r.runId)).toEqual([ids[5], ids[3]]);
    expect(first.hasMore).toBe(true);
    expect(second.runs.map((r) => r.runId)).toEqual([ids[1]]);
    expect(second.hasMore).toBe(false);
  });
});
