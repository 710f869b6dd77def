import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { EmulatorFactory } from '../../src/sandbox/framework/emulator.types.js';
import { createGithubEmulator } from '../../src/sandbox/github/github.emulator.js';
import { SANDBOX_CREDENTIALS, SANDBOX_DEFAULTS } from '../../src/sandbox/sandbox-credentials.js';
import { PROFILE_DELAYS, type DelayRange } from '../../src/sandbox/sandbox-profiles.js';
import { createSupabaseEmulator } from '../../src/sandbox/supabase/supabase.emulator.js';
import { createVercelEmulator } from '../../src/sandbox/vercel/vercel.emulator.js';
import { caller, startEmulator } from './emulator-test.harness.js';

const REALISTIC = PROFILE_DELAYS.realistic;

interface Sample {
  sentAt: number;
  receivedAt: number;
  state: string;
}

interface Observation {
  factory: EmulatorFactory;
  timeScale: number;
  range: DelayRange;
  credential: Record<string, string>;
  prefix: string;
  /** Begins the slow work: the id to probe, and the state its answer told, if it told one. */
  start: (call: ReturnType<typeof caller>) => Promise<{ id: string; state?: string }>;
  probe: (call: ReturnType<typeof caller>, id: string) => Promise<string>;
}

/**
 * Starts `factory` with the realistic profile at `timeScale`, runs `start`, then samples `probe`
 * until a sample is sent after the scaled upper bound of `range` (counted from the start's answer).
 * Gives the states seen before the scaled lower bound (counted from the start's request), after the
 * upper bound, and all of them in order.
 */
async function observe({ factory, timeScale, range, credential, prefix, start, probe }: Observation) {
  const sandbox = await startEmulator(factory, { profile: 'realistic', timeScale });
  try {
    const call = caller(`${sandbox.url}${prefix}`, credential);
    const sentAt = Date.now();
    const { id, state } = await start(call);
    const answeredAt = Date.now();
    const lowerEnd = sentAt + range.minMs * timeScale;
    const upperEnd = answeredAt + range.maxMs * timeScale;
    const samples: Sample[] = state === undefined ? [] : [{ sentAt, receivedAt: answeredAt, state }];
    await vi.waitFor(
      async () => {
        const at = Date.now();
        const state = await probe(call, id);
        samples.push({ sentAt: at, receivedAt: Date.now(), state });
        expect(at).toBeGreaterThan(upperEnd);
      },
      { timeout: range.maxMs * timeScale + 5000, interval: 20 },
    );
    return {
      beforeLower: samples.filter((s) => s.receivedAt < lowerEnd).map((s) => s.state),
      afterUpper: samples.filter((s) => s.sentAt > upperEnd).map((s) => s.state),
      all: samples.map((s) => s.state),
    };
  } finally {
    await sandbox.close();
  }
}

/** States seen in order never go back. */
const inOrder = (states: string[], order: string[]) =>
  expect(states.map((s) => order.indexOf(s))).toEqual(states.map((s) => order.indexOf(s)).sort((a, b) => a - b));

describe('SANDBOX_PROFILE=realistic', () => {
  it('A new Supabase project stays COMING_UP for the scaled 90 s and is ACTIVE_HEALTHY after the scaled 180 s', async () => {
    const seen = await observe({
      factory: createSupabaseEmulator,
      timeScale: 0.015,
      range: REALISTIC.supabaseProvisioning,
      credential: { authorization: `Bearer ${SANDBOX_CREDENTIALS.supabase}` },
      prefix: '/supabase',
      start: async (call) => {
        const created = await call('POST', '/v1/projects', {
          body: {
            name: `client-${randomUUID().slice(0, 8)}`,
            organization_slug: SANDBOX_DEFAULTS.supabaseOrg,
            db_pass: randomUUID(),
            region_selection: { type: 'specific', code: 'eu-west-1' },
          },
        });
        return { id: created.body.ref as string, state: created.body.status as string };
      },
      probe: async (call, ref) => (await call('GET', `/v1/projects/${ref}`)).body.status as string,
    });

    expect(seen.beforeLower.length).toBeGreaterThan(0);
    expect(new Set(seen.beforeLower)).toEqual(new Set(['COMING_UP']));
    expect(new Set(seen.afterUpper)).toEqual(new Set(['ACTIVE_HEALTHY']));
    inOrder(seen.all, ['COMING_UP', 'ACTIVE_HEALTHY']);
  });

  it('A Vercel deployment is not READY before the scaled 8 s and is READY after the scaled 16 s', async () => {
    const seen = await observe({
      factory: createVercelEmulator,
      timeScale: 0.05,
      range: REALISTIC.vercelBuild,
      credential: { authorization: `Bearer ${SANDBOX_CREDENTIALS.vercel}` },
      prefix: '/vercel',
      start: async (call) => {
        const body = {
          name: 'client-app',
          gitSource: { type: 'github', org: 'agency-clients', repo: 'a', ref: 'main' },
        };
        const created = await call('POST', '/v13/deployments', { body });
        return { id: created.body.id as string, state: created.body.readyState as string };
      },
      probe: async (call, id) => (await call('GET', `/v13/deployments/${id}`)).body.readyState as string,
    });

    expect(seen.beforeLower.length).toBeGreaterThan(0);
    expect(seen.beforeLower).not.toContain('READY');
    expect(new Set(seen.afterUpper)).toEqual(new Set(['READY']));
    inOrder(seen.all, ['QUEUED', 'BUILDING', 'READY']);
  });

  it('A GitHub repository generated from the template is not found before the scaled 2 s and is there after the scaled 5 s', async () => {
    const seen = await observe({
      factory: createGithubEmulator,
      timeScale: 0.3,
      range: REALISTIC.githubGeneration,
      credential: { authorization: `Bearer ${SANDBOX_CREDENTIALS.github}` },
      prefix: '/github',
      start: async (call) => {
        const name = `client-${randomUUID().slice(0, 8)}-app`;
        const gen = await call('POST', '/repos/agency-clients/client-app-template/generate', {
          body: { owner: 'agency-clients', name, private: true },
        });
        expect(gen.status).toBe(201);
        return { id: name };
      },
      probe: async (call, name) => String((await call('GET', `/repos/agency-clients/${name}`)).status),
    });

    expect(seen.beforeLower.length).toBeGreaterThan(0);
    expect(new Set(seen.beforeLower)).toEqual(new Set(['404']));
    expect(new Set(seen.afterUpper)).toEqual(new Set(['200']));
    inOrder(seen.all, ['404', '200']);
  });
});
