/**
 * `npm start` restarted after a run succeeded: Redis says `succeeded`, and the restarted sandbox
 * (same SANDBOX_INSTANCE, same DATABASE_URL) still holds exactly that run's resources, so a
 * tear-down finds and removes them instead of reporting `rolled_back` over nothing.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { appEnv, startApp, type AppProcess } from '../support/app-process.js';
import { buildRequest } from '../support/factories.js';
import { DATABASE_URL, NONE_LEFT, ONE_OF_EACH, REDIS_URL, deleteKeys, resourceCounts } from '../support/harness.js';
import { sandboxAdmin } from '../support/sandbox-admin.js';

const running: AppProcess[] = [];
const cleanUps: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const app of running.splice(0)) app.kill();
  for (const clean of cleanUps.splice(0)) await clean();
});

async function launch(env: Record<string, string>): Promise<AppProcess> {
  const app = startApp(env);
  running.push(app);
  await app.ready();
  return app;
}

async function stop(app: AppProcess): Promise<void> {
  app.proc.kill('SIGTERM');
  await app.exited;
  await expect.poll(() => app.treeAlive(), { timeout: 30_000 }).toBe(false);
  running.splice(running.indexOf(app), 1);
}

/** The API of a deployment, with its admin token. */
function api(env: Record<string, string>) {
  const token = (env.API_TOKENS ?? '').split(':')[1] ?? '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${env.PORT}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as { runId?: string; state?: string } };
  };
  const stateOf = async (runId: string) => (await call('GET', `/api/provisioning/${runId}`)).body.state;
  return { call, stateOf };
}

/** What the instance left in Postgres once its sandbox was reset (the seeded repos): gone. */
async function forgetInstance(instance: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query('delete from sandbox_state.documents where instance = $1', [instance]);
    await client.query('delete from sandbox_state.instances where instance = $1', [instance]);
  } finally {
    await client.end();
  }
}

describe('npm start keeps the sandbox world across a restart', () => {
  it('When npm start is restarted after a run succeeded, then its sandbox still holds exactly that run’s resources, and tearing the client down removes them', async () => {
    const instance = `test-npm-${randomUUID().slice(0, 8)}`;
    const env = await appEnv({ SANDBOX_STATE: 'postgres', SANDBOX_INSTANCE: instance });
    const sandbox = sandboxAdmin(`http://127.0.0.1:${env.SANDBOX_PORT}`);
    cleanUps.push(async () => {
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, env.QUEUE_PREFIX ?? '');
      redis.disconnect();
      await forgetInstance(instance);
    });
    const request = buildRequest();
    const first = await launch(env);
    const { call, stateOf } = api(env);
    const { body } = await call('POST', '/api/provisioning', request);
    const runId = body.runId ?? '';
    await expect.poll(() => stateOf(runId), { timeout: 60_000, interval: 100 }).toBe('succeeded');

    await stop(first);
    const second = await launch(env);

    expect(await stateOf(runId)).toBe('succeeded');
    expect(resourceCounts(await sandbox.state(), request.clientId)).toEqual(ONE_OF_EACH);
    expect((await call('POST', `/api/provisioning/${runId}/rollback`)).status).toBe(202);
    await expect.poll(() => stateOf(runId), { timeout: 60_000, interval: 100 }).toBe('rolled_back');
    expect(resourceCounts(await sandbox.state(), request.clientId)).toEqual(NONE_LEFT);
    await sandbox.reset();
    await stop(second);
  });
});
