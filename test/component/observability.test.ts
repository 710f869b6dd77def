import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSink, recordingTo, recordRateLimitWait } from '../../src/shared/metrics.js';
import { startHarness, type Harness } from '../support/harness.js';

const METRICS_TOKEN = randomBytes(24).toString('hex');
const logs: string[] = [];
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ METRICS_TOKEN }, { logs });
});
afterAll(async () => {
  await h?.close();
});

async function scrape(token: string | null = h.tokens.viewer): Promise<string> {
  const res = await fetch(`${h.api}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample of the Prometheus text, or undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const runLogs = (runId: string) =>
  logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.runId === runId);

describe('GET /metrics', () => {
  it('When a run succeeds, then /metrics counts it, times it and its steps, and counts every provider request', async () => {
    const before = await scrape();
    const posted = await h.provision();
    await h.waitForRun(posted.body.runId, ['succeeded']);

    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('provisioner_runs_total', { state: 'succeeded' })).toBe(1);
    expect(delta('provisioner_run_duration_seconds_count', { state: 'succeeded' })).toBe(1);
    expect(delta('provisioner_run_duration_seconds_bucket', { state: 'succeeded', le: '+Inf' })).toBe(1);
    for (const step of ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup']) {
      expect(delta('provisioner_step_duration_seconds_count', { step }), step).toBeGreaterThanOrEqual(1);
    }
    expect(delta('provisioner_provider_requests_total', { provider: 'supabase', operation: 'createProject' })).toBe(1);
    expect(
      delta('provisioner_provider_requests_total', {
        provider: 'github',
        operation: 'createFromTemplate',
        status: '201',
      }),
    ).toBe(1);
    expect(
      delta('provisioner_provider_requests_total', { provider: 'vercel', operation: 'createProject' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'provisioner_queue_jobs', { queue: 'provision', state: 'completed' })).toBeGreaterThanOrEqual(
      7,
    );
    expect(sample(after, 'provisioner_runs_total', { state: 'rollback_failed' })).toBe(0);
    expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(after).toContain('# TYPE provisioner_step_duration_seconds histogram');
  });

  it('When a run rolls back, then /metrics counts the rolled-back run and each compensation by outcome', async () => {
    const before = await scrape();
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
    try {
      const posted = await h.provision();
      await h.waitForRun(posted.body.runId, ['rolled_back']);
    } finally {
      await h.clearFaults();
    }
    const after = await scrape();
    const delta = (name: string, labels?: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('provisioner_runs_total', { state: 'rolled_back' })).toBe(1);
    expect(delta('provisioner_runs_total', { state: 'failed' })).toBe(0);
    for (const step of ['supabase', 'github', 'n8n', 'backup'])
      expect(delta('provisioner_compensations_total', { step, outcome: 'deleted' }), step).toBe(1);
    expect(delta('provisioner_compensations_total', { step: 'database', outcome: 'undone_with_parent' })).toBe(1);
    expect(
      delta('provisioner_provider_requests_total', { provider: 'vercel', operation: 'createProject', status: '400' }),
    ).toBe(1);
  });

  it('When the rate budgets record a wait, then it adds up per provider on /metrics', async () => {
    const before = sample(await scrape(), 'provisioner_rate_limit_wait_seconds_total', { provider: 'supabase' }) ?? 0;
    const waited = recordingTo(metricsSink(h.redis, h.prefix), (seconds: number) =>
      recordRateLimitWait('supabase', seconds),
    );
    waited(1.5);
    waited(0.25);
    await expect
      .poll(async () => sample(await scrape(), 'provisioner_rate_limit_wait_seconds_total', { provider: 'supabase' }))
      .toBe(before + 1.75);
  });

  it('When /metrics is asked without a token, then 401; METRICS_TOKEN opens it but nothing else', async () => {
    expect((await fetch(`${h.api}/metrics`)).status).toBe(401);
    expect(sample(await scrape(METRICS_TOKEN), 'provisioner_runs_total', { state: 'succeeded' })).toBeDefined();
    expect(sample(await scrape(h.tokens.admin), 'provisioner_runs_total', { state: 'succeeded' })).toBeDefined();
    expect((await h.request('GET', '/api/provisioning', { token: METRICS_TOKEN })).status).toBe(401);
  });
});

describe('logs', () => {
  it('When a run succeeds, then each step logs its start and its end with run, client, step, attempt and duration', async () => {
    const posted = await h.provision();
    const run = await h.waitForRun(posted.body.runId, ['succeeded']);
    const lines = runLogs(run.runId).filter((l) => typeof l.step === 'string' && typeof l.event === 'string');
    for (const step of ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup']) {
      const mine = lines.filter((l) => l.step === step);
      expect(
        mine.map((l) => l.event),
        step,
      ).toEqual(['started', 'succeeded']);
      for (const l of mine) expect(l).toMatchObject({ clientId: run.clientId, attempt: 1 });
      expect(mine[1]!.durationMs).toEqual(expect.any(Number));
    }
  });

  it('When a step fails for good, then its line says failed with the duration, and the compensations say how they ended', async () => {
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
    try {
      const posted = await h.provision();
      const run = await h.waitForRun(posted.body.runId, ['rolled_back']);
      const lines = runLogs(run.runId);
      const vercel = lines.find((l) => l.step === 'vercel' && l.event === 'failed');
      expect(vercel).toMatchObject({ clientId: run.clientId, attempt: 1, code: 'PROVIDER_REJECTED' });
      expect(vercel?.durationMs).toEqual(expect.any(Number));
      expect(lines.find((l) => l.step === 'github' && l.event === 'compensated')).toMatchObject({
        clientId: run.clientId,
      });
    } finally {
      await h.clearFaults();
    }
  });
});
