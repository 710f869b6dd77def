/**
 * The product on a Redis Cluster (REDIS_CLUSTER_NODES) of three masters that this file starts:
 * a full run and its tear-down through the API, the worker and the sandbox; every key of the
 * deployment in the one hash slot of its `{prefix}` tag, on one master, and nothing anywhere
 * else; an evicting master refused; 503 while the cluster is down, and back by itself after.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunEventHub, type RunEvent } from '../../src/runs/run-events.js';
import { deploymentFingerprint } from '../../src/shared/deployment-fingerprint.js';
import { registerProcess, type DeploymentMembership } from '../../src/shared/deployment-registry.js';
import { hashTagOf } from '../../src/shared/redis.js';
import { startWorkers } from '../../src/worker/worker-runtime.js';
import { buildRequest } from '../support/factories.js';
import { NONE_LEFT, ONE_OF_EACH, resourceCounts, serversOf, startHarness, type Harness } from '../support/harness.js';
import { startLocalCluster, type LocalCluster } from '../support/redis-cluster.js';

let cluster: LocalCluster;
let h: Harness;
let events: RunEventHub;
let membership: DeploymentMembership | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster();
  h = await startHarness({ REDIS_CLUSTER_NODES: cluster.setting, REDIS_URL: cluster.url });
  events = new RunEventHub(h.config, h.prefix);
}, 90_000);

afterAll(async () => {
  try {
    await membership?.leave();
    await events?.close();
    await h?.close();
  } finally {
    await cluster?.destroy();
  }
}, 120_000);

/** Every key each master holds (the cluster is this file's alone), and its slot. */
async function keysByMaster(): Promise<{ node: string; keys: { key: string; slot: number }[] }[]> {
  return Promise.all(
    (await serversOf(h.redis)).map(async (server) => {
      const keys = await server.keys('*');
      const slots = await Promise.all(keys.map((k) => server.cluster('KEYSLOT', k)));
      return {
        node: `${server.options.host}:${server.options.port}`,
        keys: keys.map((key, i) => ({ key, slot: Number(slots[i]) })),
      };
    }),
  );
}

/** Everything the sandbox holds, by provider: only this file's run may be there. */
async function sandboxTotals(): Promise<Record<string, number>> {
  const s = await h.sandboxState();
  return {
    supabase: s.supabase.projects.length,
    github: s.github.repos.length,
    vercel: s.vercel.projects.length,
    n8n: s.n8n.workflows.length,
    gitea: s.gitea.files.length,
  };
}

describe('on a Redis Cluster of three masters', () => {
  it('When a client is provisioned and then torn down, then both finish and every key of the deployment lies in one slot', async () => {
    expect(h.prefix).toMatch(/^\{t[0-9a-f]{8}\}$/);
    const seen: RunEvent[] = [];
    events.subscribe((e) => seen.push(e));
    await events.ready();
    // Registering (a Lua script over three keys) fails with CROSSSLOT unless they share a slot.
    membership = await registerProcess(h.config, {
      prefix: h.prefix,
      role: 'cluster test',
      fingerprint: deploymentFingerprint(h.config),
    });

    const request = buildRequest();
    const posted = await h.provision(request);
    expect(posted.status).toBe(202);
    const runId = posted.body.runId as string;
    const done = await h.waitForRun(runId, ['succeeded', 'failed', 'rolled_back', 'rollback_failed'], 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.steps.every((s: { state: string }) => s.state === 'succeeded')).toBe(true);
    expect(resourceCounts(await h.sandboxState(), request.clientId)).toEqual(ONE_OF_EACH);
    expect(await sandboxTotals()).toEqual(ONE_OF_EACH);
    // The claim script reads the client's current run by a key it builds from ARGV: same slot or CROSSSLOT.
    const again = await h.provision(request);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CLIENT_ALREADY_PROVISIONED');

    const teardown = await h.request('POST', `/api/provisioning/${runId}/rollback`);
    expect(teardown.status).toBe(202);
    // Generous: the sandbox's Supabase delete drops a real database, slow on a loaded machine.
    const gone = await h.waitForRun(runId, ['rolled_back', 'rollback_failed'], 90_000);
    expect(gone.state).toBe('rolled_back');
    expect(await sandboxTotals()).toEqual(NONE_LEFT);
    // Pub/sub crosses the cluster: the run's changes reached a subscriber on another connection.
    expect(seen).toContainEqual({ type: 'run', runId, state: 'rolled_back' });

    const masters = await keysByMaster();
    expect(masters).toHaveLength(3);
    const keys = masters.flatMap((m) => m.keys);
    const tagSlot = Number(await (await serversOf(h.redis))[0]!.cluster('KEYSLOT', `{${hashTagOf(h.prefix)}}`));
    expect(keys.filter((k) => !k.key.startsWith(`${h.prefix}:`))).toEqual([]);
    expect(keys.filter((k) => k.slot !== tagSlot)).toEqual([]);
    expect(masters.filter((m) => m.keys.length > 0)).toHaveLength(1);
    // What lies there: the run record and its indexes, the flow's and rollback's jobs, the rate
    // budgets, the metrics, the write limit and the deployment's registration.
    const kinds = new Set(keys.map((k) => k.key.slice(h.prefix.length + 1).split(':')[0]));
    for (const kind of ['run', 'client', 'client-runs', 'runs', 'provision', 'rollback', 'budget', 'metrics'])
      expect(kinds).toContain(kind);
    expect(kinds).toContain('write-limit');
    expect(kinds).toContain('deployment');
    expect(keys.map((k) => k.key)).toContain(`${h.prefix}:run:${runId}`);
  });

  it('When one master evicts keys, then a worker refuses to start, naming that master', async () => {
    const [, second] = cluster.nodes;
    const node = cluster.node(second!.port);
    try {
      await node.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await expect(startWorkers(h.config, pino({ level: 'silent' }))).rejects.toThrow(
        `Redis maxmemory-policy is "allkeys-lru" on 127.0.0.1:${second!.port}`,
      );
    } finally {
      await node.config('SET', 'maxmemory-policy', 'noeviction');
      node.disconnect();
    }
  });

  it('When the whole cluster is down, then the API answers 503 at once, and once it is back the API answers again by itself', async () => {
    await cluster.stop();
    let statuses: number[];
    let began = Date.now();
    try {
      began = Date.now();
      const get = await h.request('GET', '/api/provisioning/00000000-0000-4000-8000-000000000000');
      const post = await h.provision(buildRequest());
      const ready = await h.request('GET', '/readyz', { token: null });
      statuses = [get.status, post.status, ready.status];
      expect(get.body.error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      console.info(`cluster down: three requests answered in ${Date.now() - began} ms`);
      await cluster.start();
    }
    expect(statuses).toEqual([503, 503, 503]);

    await expect
      .poll(async () => (await h.request('GET', '/readyz', { token: null })).status, { timeout: 30_000 })
      .toBe(200);
    const again = await h.provision(buildRequest());
    expect(again.status).toBe(202);
    const run = await h.waitForRun(again.body.runId, ['succeeded', 'failed', 'rolled_back', 'rollback_failed'], 60_000);
    expect(run.state).toBe('succeeded');
  });
});
