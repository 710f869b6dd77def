/**
 * One deployment per queue prefix: every process registers a fingerprint (key id, providers,
 * npm start's own sandbox) under the prefix; one that disagrees refuses to start, naming the difference.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deploymentFingerprint, encryptionKeyId } from '../../src/shared/deployment-fingerprint.js';
import { DeploymentMismatchError, joinDeployment } from '../../src/shared/deployment-registry.js';
import { appEnv, startApp, type AppProcess } from '../support/app-process.js';
import { buildRequest } from '../support/factories.js';
import { REDIS_URL, resourceCounts, ONE_OF_EACH } from '../support/harness.js';

const started: AppProcess[] = [];
const redis = new Redis(REDIS_URL);

afterEach(() => {
  for (const app of started.splice(0)) app.kill();
});
afterAll(() => redis.disconnect());

function launch(env: Record<string, string>, script = 'start'): AppProcess {
  const app = startApp(env, script);
  started.push(app);
  return app;
}

async function api(app: AppProcess, method: string, path: string, body?: unknown) {
  const token = app.env.API_TOKENS!.split(':')[1]!;
  const res = await fetch(`http://127.0.0.1:${app.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('one deployment per queue prefix', () => {
  it('When a worker starts with another ENCRYPTION_KEY than the deployment, then it refuses in one line naming the key ids', async () => {
    const first = launch(await appEnv());
    await first.ready();
    const otherKey = randomBytes(32).toString('hex');
    const worker = launch(
      { ...first.env, ENCRYPTION_KEY: otherKey, SANDBOX_URL: `http://127.0.0.1:${first.sandboxPort}` },
      'worker',
    );

    const { code } = await worker.exited;

    expect(code).toBe(1);
    const line = worker.stderr().trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(`encryption key id is "${encryptionKeyId(Buffer.from(otherKey, 'hex'))}" here`);
    expect(line).toContain(`"${encryptionKeyId(Buffer.from(first.env.ENCRYPTION_KEY!, 'hex'))}" there`);
    expect(line).toContain(`npm start pid`);
    expect(line).not.toContain(otherKey);
    expect(worker.output()).not.toContain('worker started');
  });

  it("When a second npm start uses the same Redis and prefix, then it refuses naming the first, and the first's run succeeds", async () => {
    const first = launch(await appEnv());
    await first.ready();
    const request = buildRequest();
    const posted = await api(first, 'POST', '/api/provisioning', request);
    expect(posted.status).toBe(202);

    const second = launch(await appEnv({ QUEUE_PREFIX: first.env.QUEUE_PREFIX! }));
    const { code } = await second.exited;

    expect(code).toBe(1);
    expect(second.stderr().trim()).toMatch(
      new RegExp(
        `^client-provisioner: another deployment already uses queue prefix "${first.env.QUEUE_PREFIX}"[^\\n]*npm start pid \\d+ [^\\n]*127\\.0\\.0\\.1:${first.port}[^\\n]*sandbox instance[^\\n]*QUEUE_PREFIX of its own\\.$`,
      ),
    );
    await expect
      .poll(async () => (await api(first, 'GET', `/api/provisioning/${posted.body.runId}`)).body.state, {
        timeout: 45_000,
      })
      .toBe('succeeded');
    const state = await (await fetch(`http://127.0.0.1:${first.sandboxPort}/_sandbox/state`)).json();
    expect(resourceCounts(state, request.clientId)).toEqual(ONE_OF_EACH);
  });

  it('When the first process has left, then a process with another fingerprint may join the prefix', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const fingerprint = (key: Buffer) =>
      deploymentFingerprint({
        encryptionKey: key,
        providers: Object.fromEntries(
          ['supabase', 'github', 'vercel', 'n8n', 'gitea'].map((p) => [
            p,
            { mode: 'sandbox', baseUrl: `http://x/${p}` },
          ]),
        ) as any,
      });
    const first = await joinDeployment({ redis, prefix, role: 'worker', fingerprint: fingerprint(randomBytes(32)) });
    await expect(
      joinDeployment({ redis, prefix, role: 'worker', fingerprint: fingerprint(randomBytes(32)) }),
    ).rejects.toBeInstanceOf(DeploymentMismatchError);

    await first.leave();
    const second = await joinDeployment({ redis, prefix, role: 'worker', fingerprint: fingerprint(randomBytes(32)) });

    await second.leave();
    await redis.del(
      `${prefix}:deployment:members`,
      `${prefix}:deployment:member-info`,
      `${prefix}:deployment:fingerprint`,
    );
  });
});
