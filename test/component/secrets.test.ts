import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSealer } from '../../src/shared/crypto.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/sandbox-credentials.js';
import { startHarness, type Harness } from '../support/harness.js';

const logs: string[] = [];
let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { logs });
});
afterAll(async () => {
  await h?.close();
});

/** Every string value under the harness's prefix: hashes, strings, lists, sets, streams. */
async function everythingInRedis(): Promise<string> {
  const out: string[] = [];
  for (const key of await h.redis.keys(`${h.prefix}:*`)) {
    const type = await h.redis.type(key);
    if (type === 'string') out.push((await h.redis.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await h.redis.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await h.redis.lrange(key, 0, -1)));
    else if (type === 'set') out.push(JSON.stringify(await h.redis.smembers(key)));
    else if (type === 'zset') out.push(JSON.stringify(await h.redis.zrange(key, '0', '-1')));
    else if (type === 'stream') out.push(JSON.stringify(await h.redis.xrange(key, '-', '+')));
  }
  return out.join('\n');
}

describe('no secret at rest in clear (SPEC 4.4)', () => {
  it('When a run succeeds, then the service-role key, the anon key, the DB password and the provider tokens appear nowhere in Redis, the API, the dashboard or the logs', async () => {
    const posted = await h.provision();
    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'rolled_back']);
    expect(run.state).toBe('succeeded');
    const ref = run.resources.supabase.ref;

    const keys = (await (
      await fetch(`${h.sandbox.url}/supabase/v1/projects/${ref}/api-keys?reveal=true`, {
        headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` },
      })
    ).json()) as { name: string; api_key: string }[];
    const serviceRole = keys.find((k) => k.name === 'service_role')!.api_key;
    const anon = keys.find((k) => k.name === 'anon')!.api_key;
    expect(serviceRole.length).toBeGreaterThan(20);

    // The DB password is sealed in the supabase step's job data: open it with the key to know what to look for.
    const queue = new Queue('provision', { connection: h.redis, prefix: h.prefix });
    const job = await Job.fromId(queue, `${run.runId}-g1-supabase`);
    const sealed = job!.data.sealed.dbPassword as string;
    const dbPassword = createSealer(h.config.encryptionKey).open(sealed, `${run.runId}:supabase:dbPassword`);
    expect(dbPassword.length).toBeGreaterThanOrEqual(24);
    await queue.close();

    const secrets = { serviceRole, anon, dbPassword, ...SANDBOX_CREDENTIALS };
    const redis = await everythingInRedis();
    const api = JSON.stringify([run, (await h.request('GET', `/api/provisioning?clientId=${run.clientId}`)).body]);
    const board = JSON.stringify(
      await Promise.all(
        ['completed', 'failed'].map(
          async (status) =>
            (await h.request('GET', `/admin/queues/api/queues?activeQueue=provision&status=${status}`)).body,
        ),
      ),
    );
    expect(board).toContain(run.runId);
    for (const [name, value] of Object.entries(secrets)) {
      expect(redis.includes(value), `${name} in Redis`).toBe(false);
      expect(api.includes(value), `${name} in the API`).toBe(false);
      expect(board.includes(value), `${name} in the dashboard`).toBe(false);
      expect(logs.join('\n').includes(value), `${name} in the logs`).toBe(false);
    }
    expect(logs.length).toBeGreaterThan(5);
  });
});
