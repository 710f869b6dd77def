import { afterAll, describe, it, expect } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { createProjectDatabase, dropProjectDatabase } from '../src/sandbox/supabase/project-database.js';
import { applySchema, verifySchema } from '../src/providers/postgres.client.js';
import { databaseStep, schemaProblems } from '../src/steps/database/database.step.js';
import { loadSchemaSql, SCHEMA_EXPECTATIONS } from '../src/steps/templates/client-schema.js';
import type { StepContext } from '../src/steps/step.types.js';

const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const created: string[] = [];

function databaseUrl(server: string, dbName: string): string {
  const url = new URL(server);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** A throwaway project database, unique per run, dropped after the file. */
async function freshProject(): Promise<string> {
  const name = `test_schema_${randomBytes(6).toString('hex')}`;
  created.push(name);
  await createProjectDatabase(SERVER, name);
  return databaseUrl(SERVER, name);
}

async function withDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs `fn` in a transaction as PostgREST would for a request with these JWT claims. */
function asRequest<T>(
  url: string,
  role: 'anon' | 'authenticated' | 'service_role',
  claims: object,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  return withDb(url, async (c) => {
    await c.query('begin');
    try {
      await c.query(`set local role ${role}`);
      await c.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      return await fn(c);
    } finally {
      await c.query('rollback');
    }
  });
}

function buildStepContext(url: string, password = 'p@ss:w/rd?#%"'): StepContext {
  const u = new URL(url);
  const resources = {
    ref: 'abcdefghijklmnopqrst',
    name: 'client-acme',
    region: 'af-south-1',
    status: 'ACTIVE_HEALTHY',
    apiUrl: 'http://127.0.0.1:4010',
    dbHost: u.hostname,
    dbPort: Number(u.port || 5432),
    dbName: decodeURIComponent(u.pathname.slice(1)),
    dbUser: decodeURIComponent(u.username || 'postgres'),
  };
  return {
    log: pino({ level: 'silent' }),
    input: async () => ({ resources, secret: (name: string) => (name === 'dbPassword' ? password : 'unused') }),
  } as unknown as StepContext;
}

afterAll(async () => {
  await Promise.all(created.map((name) => dropProjectDatabase(SERVER, name)));
});

describe('client schema on a Supabase-like project database', () => {
  it('applies, and applies again, with 21 tables all under RLS, 25 policies and 17 indexes', async () => {
    const url = await freshProject();
    const sql = await loadSchemaSql();
    const expected = { ...SCHEMA_EXPECTATIONS, tablesWithoutRls: [] };

    await applySchema(url, sql);
    const first = await verifySchema(url);
    await applySchema(url, sql);
    const second = await verifySchema(url);

    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
  }, 30_000);

  it('lets a user see only their own rows, anon none of the protected ones, and the service role all', async () => {
    const url = await freshProject();
    await applySchema(url, await loadSchemaSql());
    const [alice, bob] = [randomUUID(), randomUUID()];
    await withDb(url, async (c) => {
      await c.query(`insert into auth.users (id, email) values ($1, 'alice@example.com'), ($2, 'bob@example.com')`, [
        alice,
        bob,
      ]);
      await c.query(`insert into contacts (owner_id, first_name) values ($1, 'A1'), ($1, 'A2'), ($2, 'B1')`, [
        alice,
        bob,
      ]);
      await c.query(
        `insert into content_items (owner_id, slug, title, status) values ($1, 'draft', 'Draft', 'draft'), ($2, 'live', 'Live', 'published')`,
        [alice, bob],
      );
    });
    const aliceClaims = { sub: alice, role: 'authenticated' };

    const aliceContacts = await asRequest(url, 'authenticated', aliceClaims, (c) =>
      c.query('select first_name from contacts order by 1'),
    );
    const aliceContent = await asRequest(url, 'authenticated', aliceClaims, (c) =>
      c.query('select slug from content_items order by 1'),
    );
    const serviceContacts = await asRequest(url, 'service_role', { role: 'service_role' }, (c) =>
      c.query('select * from contacts'),
    );
    const anonContacts = await asRequest(url, 'anon', { role: 'anon' }, (c) => c.query('select * from contacts'));
    const anonContent = await asRequest(url, 'anon', { role: 'anon' }, (c) =>
      c.query('select slug from content_items'),
    );
    const insertForBob = await asRequest(url, 'authenticated', aliceClaims, (c) =>
      c.query(`insert into contacts (owner_id, first_name) values ($1, 'forged')`, [bob]),
    ).catch((e: unknown) => e);
    const insertOwn = await asRequest(url, 'authenticated', aliceClaims, (c) =>
      c.query(`insert into contacts (first_name) values ('mine') returning owner_id`),
    );

    expect(aliceContacts.rows.map((r) => r.first_name)).toEqual(['A1', 'A2']);
    expect(aliceContent.rows.map((r) => r.slug)).toEqual(['draft', 'live']);
    expect(serviceContacts.rowCount).toBe(3);
    expect(anonContacts.rowCount).toBe(0);
    expect(anonContent.rows.map((r) => r.slug)).toEqual(['live']);
    expect(insertForBob).toMatchObject({ code: '42501' });
    expect(insertOwn.rows[0].owner_id).toBe(alice);
  }, 30_000);

  it('prepares three project databases at once (roles are created race-safely)', async () => {
    const names = [0, 1, 2].map(() => `test_schema_${randomBytes(6).toString('hex')}`);
    created.push(...names);

    await Promise.all(names.map((name) => createProjectDatabase(SERVER, name)));

    for (const name of names) {
      const { rows } = await withDb(databaseUrl(SERVER, name), (c) =>
        c.query(`select to_regprocedure('auth.uid()') is not null as uid,
                        (select count(*)::int from pg_roles where rolname in ('anon', 'authenticated', 'service_role')) as roles,
                        (select rolbypassrls from pg_roles where rolname = 'service_role') as bypass`),
      );
      expect(rows[0]).toEqual({ uid: true, roles: 3, bypass: true });
    }
  }, 60_000);

  it('reports a table whose RLS was turned off, which the database step treats as a failure', async () => {
    const url = await freshProject();
    await applySchema(url, await loadSchemaSql());
    await withDb(url, (c) => c.query('alter table public.bookings disable row level security'));

    const report = await verifySchema(url);

    expect(report.tablesWithoutRls).toEqual(['bookings']);
    expect(schemaProblems(report)).toEqual(['RLS is off on bookings']);
  }, 30_000);
});

describe('database step', () => {
  it('applies the schema over the connection the supabase step describes, with an awkward password', async () => {
    const url = await freshProject();

    const result = await databaseStep.execute(buildStepContext(url));

    expect(result).toEqual({ outcome: 'created', resources: { tables: 21, policies: 25, indexes: 17, rls: true } });
  }, 30_000);

  it('fails verification, without retry, when the database holds a policy the schema does not', async () => {
    const url = await freshProject();
    await applySchema(url, await loadSchemaSql());
    await withDb(url, (c) => c.query('create policy "stray" on public.rooms for select to anon using (true)'));

    const run = databaseStep.execute(buildStepContext(url));

    await expect(run).rejects.toMatchObject({
      code: 'VERIFICATION_FAILED',
      retryable: false,
      message: expect.stringMatching(/26 policies, expected 25/),
    });
  }, 30_000);

  it('says the database is unreachable, retryably, without the password, when nothing listens', async () => {
    const ctx = buildStepContext('postgres://postgres@127.0.0.1:1/nowhere', 'Sup3r-Secret-Pw');

    const error = await databaseStep.execute(ctx).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
      'Sup3r-Secret-Pw',
    );
  }, 30_000);
});
