import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectDatabaseName } from '../../src/sandbox/supabase/project-database.js';
import { buildRequest } from '../support/factories.js';
import {
  DATABASE_URL,
  NONE_LEFT,
  ONE_OF_EACH,
  resourceCounts,
  resourcesOf,
  startHarness,
  type Harness,
} from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
// Faults outlive a failing test: none may reach the next test.
afterEach(async () => {
  await h?.clearFaults();
});
afterAll(async () => {
  await h?.close();
});

async function countSchema(ref: string) {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${projectDatabaseName(ref)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const q = async (sql: string) => Number((await client.query(sql)).rows[0].n);
    return {
      tables: await q(`select count(*) n from pg_tables where schemaname = 'public'`),
      withoutRls: await q(
        `select count(*) n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`,
      ),
      policies: await q(`select count(*) n from pg_policies where schemaname = 'public'`),
      indexes: await q(
        `select count(*) n from pg_indexes i where i.schemaname = 'public' and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
      ),
    };
  } finally {
    await client.end();
  }
}

async function databaseExists(ref: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (
      (await client.query('select 1 from pg_database where datname = $1', [projectDatabaseName(ref)])).rowCount === 1
    );
  } finally {
    await client.end();
  }
}

describe('a provisioning run on the sandbox', () => {
  it('When a valid client is posted, then the run succeeds with exactly one of each resource, named from the client id', async () => {
    const req = buildRequest({ clientId: `Acme-${Date.now().toString(36)}` });
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    expect(posted.status).toBe(202);
    expect(posted.body.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(posted.body.statusUrl).toBe(`/api/provisioning/${posted.body.runId}`);

    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'failed', 'rolled_back', 'rollback_failed']);
    expect(run.state).toBe('succeeded');
    expect(run.steps.map((s: any) => [s.name, s.state])).toEqual([
      ['supabase', 'succeeded'],
      ['database', 'succeeded'],
      ['github', 'succeeded'],
      ['vercel', 'succeeded'],
      ['n8n', 'succeeded'],
      ['backup', 'succeeded'],
    ]);

    const id = req.clientId.toLowerCase();
    const mine = resourcesOf(await h.sandboxState(), req.clientId);
    expect(mine.supabase.map((p: any) => p.name)).toEqual([`client-${id}`]);
    expect(mine.github.map((r: any) => [r.name, r.private])).toEqual([[`client-${id}-app`, true]]);
    expect(mine.vercel.map((p: any) => p.name)).toEqual([`client-${id}-app`]);
    expect(mine.n8n.map((w: any) => [w.name, w.active])).toEqual([[`Client ${id} - ${req.clientName}`, true]]);
    expect(mine.gitea.map((f: any) => f.path)).toEqual([`${id}/n8n-workflow.json`]);

    const counts = await countSchema(mine.supabase[0].ref);
    expect(counts).toEqual({ tables: 21, withoutRls: 0, policies: 25, indexes: 17 });
  });

  it('When a run starts, then github and n8n start before supabase finishes (independent steps run in parallel)', async () => {
    const posted = await h.provision();
    const run = await h.waitForRun(posted.body.runId, ['succeeded', 'rolled_back', 'rollback_failed']);
    expect(run.state).toBe('succeeded');
    const step = (n: string) => run.steps.find((s: any) => s.name === n);
    const supabaseDone = Date.parse(step('supabase').finishedAt);
    expect(Date.parse(step('github').startedAt)).toBeLessThan(supabaseDone);
    expect(Date.parse(step('n8n').startedAt)).toBeLessThan(supabaseDone);
    expect(Date.parse(step('database').startedAt)).toBeGreaterThanOrEqual(supabaseDone);
  });

  it('When Vercel always refuses createProject, then the run is rolled back, nothing of the client is left, and the run names the failed step', async () => {
    const req = buildRequest();
    await h.addFaults([{ provider: 'vercel', operationId: 'createProject', fault: 'http4xx', status: 400 }]);
    const posted = await h.request('POST', '/api/provisioning', { body: req });
    const run = await h.waitForRun(posted.body.runId, ['rolled_back', 'rollback_failed', 'succeeded']);
    expect(run.state).toBe('rolled_back');
    expect(run.error).toMatchObject({ step: 'vercel', code: 'PROVIDER_REJECTED', retryable: false });
    expect(run.error.message).toMatch(/vercel/i);
    const vercel = run.steps.find((s: any) => s.name === 'vercel');
    expect(vercel.attempts).toBe(1);

    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(NONE_LEFT);
    const ref = run.resources.supabase?.ref;
    expect(ref).toMatch(/^[a-z]{20}$/);
    expect(await databaseExists(ref)).toBe(false);
    for (const s of ['supabase', 'github', 'n8n', 'backup']) {
      expect(run.steps.find((x: any) => x.name === s).state).toBe('compensated');
    }
  });

  it('When a client is posted twice while in flight, then both answers carry the same run id; once provisioned, a third POST is 409', async () => {
    const req = buildRequest();
    const first = await h.request('POST', '/api/provisioning', { body: req });
    const second = await h.request('POST', '/api/provisioning', {
      body: { ...req, clientId: req.clientId.toUpperCase() },
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.runId).toBe(first.body.runId);
    await h.waitForRun(first.body.runId, ['succeeded']);
    const third = await h.request('POST', '/api/provisioning', { body: req });
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('CLIENT_ALREADY_PROVISIONED');
    expect(resourceCounts(await h.sandboxState(), req.clientId)).toEqual(ONE_OF_EACH);
  });
});
