/**
 * Issue 10, "must show" 4: sealed values name their key; ENCRYPTION_KEYS seals with the first
 * key and opens with any, so a run started under key A finishes on a worker started with
 * ENCRYPTION_KEYS=B,A; then `reseal` moves every stored secret to B, and A can be dropped.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { Job } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createQueues, type Queues } from '../../src/runs/queues.js';
import { resealStored } from '../../src/runs/reseal.js';
import { RunStore } from '../../src/runs/run-store.js';
import type { StepJobData } from '../../src/runs/run.types.js';
import { SANDBOX_IDENTITY } from '../../src/sandbox/sandbox-credentials.js';
import { createSealer, keyIdOf } from '../../src/shared/crypto.js';
import { startWorkers, type WorkerRuntime } from '../../src/worker/worker-runtime.js';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';

const A = randomBytes(32);
const B = randomBytes(32);

describe('sealing with a key ring', () => {
  it('When a value is sealed under A, then a ring B,A opens it, seals new values under B, and B alone cannot open it', () => {
    const sealedA = createSealer(A).seal('service-role-key', 'run:supabase:serviceRoleKey');
    const ring = createSealer([B, A]);
    expect(ring.open(sealedA, 'run:supabase:serviceRoleKey')).toBe('service-role-key');
    expect(ring.keyIdOf(sealedA)).toBe(keyIdOf(A));
    expect(ring.keyIdOf(ring.seal('x', 'c'))).toBe(keyIdOf(B));
    expect(() => createSealer(B).open(sealedA, 'run:supabase:serviceRoleKey')).toThrow(
      expect.objectContaining({ code: 'SECRET_UNAVAILABLE', message: expect.stringContaining(keyIdOf(A)) }),
    );
    expect(() => ring.open(sealedA, 'other-run:supabase:serviceRoleKey')).toThrow(/does not authenticate/);
  });

  it('When a value was sealed before key ids (v1), then any key of the ring that sealed it opens it', () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', A, iv);
    cipher.setAAD(Buffer.from('ctx'));
    const body = Buffer.concat([cipher.update('old secret', 'utf8'), cipher.final()]);
    const v1 = ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
    expect(createSealer([B, A]).open(v1, 'ctx')).toBe('old secret');
    expect(() => createSealer(B).open(v1, 'ctx')).toThrow(/no key/);
  });
});

let h: Harness;
let queues: Queues;
let rotated: WorkerRuntime | undefined;
beforeAll(async () => {
  // Slow enough (Supabase stays COMING_UP for 600 ms) to stop the worker while the run is mid-way.
  h = await startHarness({ ENCRYPTION_KEY: A.toString('hex'), SANDBOX_TIME_SCALE: '0.2' });
  queues = createQueues(h.env.REDIS_URL!, h.prefix);
});
afterAll(async () => {
  await rotated?.close();
  await queues?.close();
  await h?.close();
});

/** Every sealed value the run records and the provision queue hold, with the key id it names. */
async function sealedValues(): Promise<{ where: string; keyId: string | undefined }[]> {
  const sealer = createSealer([B, A]);
  const store = new RunStore(queues.connection, h.prefix);
  const runs = await store.list(undefined, 1000);
  const inRuns = runs.flatMap((run) =>
    Object.entries(run.steps).flatMap(([step, record]) =>
      Object.entries(record.sealed ?? {}).map(([n, v]) => ({
        where: `${run.runId} step:${step}.${n}`,
        keyId: sealer.keyIdOf(v),
      })),
    ),
  );
  const jobs = await queues.provision.getJobs(['completed', 'waiting', 'waiting-children', 'active', 'failed']);
  return inRuns.concat(
    jobs.flatMap((job) =>
      [
        ...Object.entries((job.data as StepJobData).sealed ?? {}).map(([n, v]) => [`${job.id} data.${n}`, v] as const),
        ...Object.entries((job.returnvalue as { sealed?: Record<string, string> } | null)?.sealed ?? {}).map(
          ([n, v]) => [`${job.id} returnvalue.${n}`, v] as const,
        ),
      ].map(([where, v]) => ({ where, keyId: sealer.keyIdOf(v) })),
    ),
  );
}

describe('rotating ENCRYPTION_KEYS under a run', () => {
  it('When a run started under key A is taken over by a worker with ENCRYPTION_KEYS=B,A, then it succeeds; reseal then moves every stored secret to B, which alone opens them', async () => {
    const posted = await h.provision(buildRequest());
    const runId = posted.body.runId as string;
    await expect
      .poll(
        async () => (await Job.fromId<StepJobData>(queues.provision, `${runId}-g1-supabase`))?.data.sealed?.dbPassword,
        {
          timeout: 20_000,
          interval: 20,
        },
      )
      .toBeDefined();
    await h.stopWorker(); // finishes the active steps, starts no more

    const midway = await h.getRun(runId);
    expect(midway.state).toBe('running');
    expect(midway.steps.find((s: any) => s.name === 'vercel').state).toBe('pending');
    const beforeRotation = await sealedValues();
    expect(beforeRotation.length).toBeGreaterThan(0);
    expect(new Set(beforeRotation.map((v) => v.keyId))).toEqual(new Set([keyIdOf(A)]));

    const env = { ...h.env, ENCRYPTION_KEY: '', ENCRYPTION_KEYS: `${B.toString('hex')},${A.toString('hex')}` };
    rotated = await startWorkers(
      loadConfig({ roles: ['worker'], sandbox: SANDBOX_IDENTITY }, env),
      pino({ level: 'silent' }),
    );
    const done = await h.waitForRun(runId, ['succeeded', 'failed', 'rolled_back', 'rollback_failed']);
    expect(done.state).toBe('succeeded');

    const ring = createSealer([B, A]);
    expect((await resealStored(queues, ring, { dryRun: true })).resealed).toBe(beforeRotation.length);
    const report = await resealStored(queues, ring);
    expect(report).toMatchObject({ resealed: beforeRotation.length, unreadable: [] });
    const after = await sealedValues();
    expect(after.map((v) => v.where).sort()).toEqual(beforeRotation.map((v) => v.where).sort());
    expect(new Set(after.map((v) => v.keyId))).toEqual(new Set([keyIdOf(B)]));
    expect(await resealStored(queues, ring, { dryRun: true })).toMatchObject({ resealed: 0, current: after.length });

    // B alone opens what is stored: the supabase step's job, as the vercel step reads it.
    const supabase = await Job.fromId<StepJobData>(queues.provision, `${runId}-g1-supabase`);
    const onlyB = createSealer(B);
    const sealed = (supabase!.returnvalue as { sealed: Record<string, string> }).sealed;
    expect(Object.keys(sealed).sort()).toEqual(['anonKey', 'dbPassword', 'serviceRoleKey']);
    for (const [name, value] of Object.entries(sealed))
      expect(onlyB.open(value, `${runId}:supabase:${name}`).length).toBeGreaterThan(10);
  });
});
