import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/factories.js';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * The CLI as a user runs it: its own process (bin/client-provisioner.js, what `npx
 * client-provisioner` starts), talking HTTP to an API, worker and sandbox running in this one.
 */
const BIN = resolve(import.meta.dirname, '../../bin/client-provisioner.js');
const STEPS = ['supabase', 'database', 'github', 'vercel', 'n8n', 'backup'];

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PROVISIONER_API_URL: h.api, PROVISIONER_TOKEN: h.tokens.admin, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 50_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

const flags = (r: ReturnType<typeof buildRequest>) => [
  '--client-id',
  r.clientId,
  '--name',
  r.clientName,
  '--email',
  r.orgEmail,
  '--tier',
  r.tier,
];

describe('client-provisioner provision --watch', () => {
  it('When the run succeeds, then each step is shown as it goes and the exit status is 0', async () => {
    const req = buildRequest();
    const { code, out, err } = await cli(['provision', ...flags(req), '--watch', '--interval', '100']);
    expect(err).toBe('');
    expect(out).toMatch(new RegExp(`^${req.clientId}  [0-9a-f-]{36}  queued$`, 'm'));
    for (const step of STEPS) expect(out).toMatch(new RegExp(`  ${req.clientId}  ${step}\\s+✔ (succeeded|skipped)`));
    expect(out).toMatch(/run\s+running/);
    expect(out).toMatch(new RegExp(`^run [0-9a-f-]{36} \\(${req.clientId}\\) succeeded after [\\d.]+ s$`, 'm'));
    expect(code).toBe(0);
  });

  it('When a provider refuses a step and the run rolls back, then the failure and the rollback are shown and the exit status is 1', async () => {
    const req = buildRequest();
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
    try {
      const { code, out } = await cli(['provision', ...flags(req), '--watch', '--interval', '100']);
      expect(out).toMatch(new RegExp(`${req.clientId}  vercel\\s+✘ failed .*PROVIDER_REJECTED`));
      expect(out).toMatch(new RegExp(`${req.clientId}  github\\s+↺ compensated`));
      expect(out).toMatch(/run\s+rolled_back/);
      expect(out).toMatch(/\) rolled_back after [\d.]+ s: vercel PROVIDER_REJECTED: /);
      expect(code).toBe(1);
    } finally {
      await h.clearFaults();
    }
  });

  it('When a CSV file of clients is given, then each gets a run, all are followed, and the exit status is 0', async () => {
    const [a, b] = [buildRequest(), buildRequest({ tier: 'starter' })];
    const file = join(dir, 'clients.csv');
    await writeFile(
      file,
      `clientId,clientName,orgEmail,tier\r\n${a.clientId},"Acme, ""Holiday"" Lets",${a.orgEmail},${a.tier}\r\n${b.clientId},Beta,${b.orgEmail},${b.tier}\r\n`,
    );
    const { code, out } = await cli(['provision', '--file', file, '--watch', '--interval', '100']);
    for (const id of [a.clientId, b.clientId]) expect(out).toMatch(new RegExp(`\\(${id}\\) succeeded after`));
    expect(code).toBe(0);
    const { runs } = (await h.request('GET', `/api/provisioning?clientId=${a.clientId}`)).body;
    expect(runs).toHaveLength(1);
  });

  it('When a row of a batch file is invalid, then nothing is sent, the error names the row and field, and the exit status is 2', async () => {
    const good = buildRequest();
    const file = join(dir, 'clients.json');
    await writeFile(file, JSON.stringify([good, { ...buildRequest(), tier: 'gold' }]));
    const { code, err } = await cli(['provision', '--file', file]);
    expect(err).toMatch(/row 2: tier: /);
    expect(code).toBe(2);
    expect((await h.request('GET', `/api/provisioning?clientId=${good.clientId}`)).body.runs).toEqual([]);
  });
});

describe('client-provisioner status, watch, list, retry, rollback', () => {
  it('When a succeeded run is read, listed, retried and torn down, then each goes through the API and says how it went', async () => {
    const posted = await h.provision();
    const run = await h.waitForRun(posted.body.runId, ['succeeded']);

    const status = await cli(['status', run.runId]);
    expect(status.out).toMatch(new RegExp(`^run ${run.runId}  ${run.clientId}  succeeded`, 'm'));
    for (const step of STEPS) expect(status.out).toMatch(new RegExp(`^  ${step}\\s+✔`, 'm'));
    expect(status.code).toBe(0);

    const watched = await cli(['watch', run.runId]);
    expect(watched.out).toMatch(/succeeded after/);
    expect(watched.code).toBe(0);

    const list = await cli(['list', '--client-id', run.clientId, '--json'], { PROVISIONER_TOKEN: h.tokens.viewer });
    expect(JSON.parse(list.out).map((r: any) => r.runId)).toEqual([run.runId]);
    expect(list.code).toBe(0);

    const retry = await cli(['retry', run.runId]);
    expect(retry.err).toMatch(/cannot retry a run that is succeeded/);
    expect(retry.code).toBe(1);

    const teardown = await cli(['rollback', run.runId, '--watch', '--interval', '100']);
    expect(teardown.out).toMatch(/rollback accepted, now rolling_back/);
    expect(teardown.out).toMatch(/\) rolled_back after/);
    expect(teardown.code).toBe(0);

    const after = await cli(['status', run.runId]);
    expect(after.out).toMatch(/ {2}rolled_back {2}/);
    expect(after.code).toBe(1);
  });

  it('When the token is missing, wrong or a viewer one acts, then the CLI says so and exits non-zero', async () => {
    const none = await cli(['list'], { PROVISIONER_TOKEN: '' });
    expect(none.err).toMatch(/no token: set PROVISIONER_TOKEN/);
    expect(none.code).toBe(2);
    const wrong = await cli(['list', '--token', 'not-a-token-not-a-token']);
    expect(wrong.err).toMatch(/\(set PROVISIONER_TOKEN or --token\)/);
    expect(wrong.code).toBe(1);
    const viewer = await cli(['provision', ...flags(buildRequest())], { PROVISIONER_TOKEN: h.tokens.viewer });
    expect(viewer.out).toMatch(/refused {2}FORBIDDEN: /);
    expect(viewer.code).toBe(1);
  });
});
