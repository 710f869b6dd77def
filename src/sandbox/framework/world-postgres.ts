import pg from 'pg';
import { StartupError, redactUrl } from '../../shared/errors.js';
import type { DocumentKey, StoredDocument, WorldBackend } from './world-backend.js';

/**
 * The sandbox's world in its own Postgres (DATABASE_URL, where the Supabase projects' databases
 * also live), in a schema of its own: one row per document, keyed by the sandbox instance, so
 * that many sandboxes share one server and never see each other's world. The instance is held
 * with an advisory lock for as long as the sandbox runs: a second sandbox of the same instance
 * would overwrite the first's world, so it is refused.
 */

const SCHEMA_DDL = `
create schema if not exists sandbox_state;
create table if not exists sandbox_state.instances (
  instance text primary key,
  created_at timestamptz not null default now()
);
create table if not exists sandbox_state.documents (
  instance text not null,
  provider text not null,
  kind text not null,
  id text not null,
  -- Load order: the order documents were first written (a Map's insertion order).
  seq bigint generated always as identity,
  -- json, not jsonb: the text comes back exactly as written, key order included.
  doc json not null,
  primary key (instance, provider, kind, id)
);`;

/** Advisory lock classes: 'SBXS' for instances, one more for the schema's creation. */
const INSTANCE_LOCK = 0x53425853;
const SCHEMA_LOCK = INSTANCE_LOCK + 1;

/** One statement, so atomic: the instance is recorded, the gone documents deleted, the changed ones upserted. */
const WRITE_SQL = `
with known as (insert into sandbox_state.instances (instance) values ($1) on conflict do nothing),
gone as (
  delete from sandbox_state.documents d
  using json_to_recordset($2::json) as g(provider text, kind text, id text)
  where d.instance = $1 and d.provider = g.provider and d.kind = g.kind and d.id = g.id
)
insert into sandbox_state.documents (instance, provider, kind, id, doc)
select $1, u.e->'key'->>'provider', u.e->'key'->>'kind', u.e->'key'->>'id', u.e->'doc'
from json_array_elements($3::json) with ordinality as u(e, n)
order by u.n
on conflict (instance, provider, kind, id) do update set doc = excluded.doc`;

export const INSTANCE_RULE = /^[A-Za-z0-9_.-]{1,100}$/;

export async function openPostgresWorld(databaseUrl: string, instance: string): Promise<WorldBackend> {
  if (!INSTANCE_RULE.test(instance)) throw new Error(`bad sandbox instance name: ${JSON.stringify(instance)}`);
  const world = new PostgresWorld(databaseUrl, instance);
  await world.connection();
  return world;
}

class PostgresWorld implements WorldBackend {
  private client: pg.Client | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly instance: string,
  ) {}

  async load(): Promise<StoredDocument[] | undefined> {
    const db = await this.connection();
    const known = await db.query('select 1 from sandbox_state.instances where instance = $1', [this.instance]);
    if (!known.rowCount) return undefined;
    const { rows } = await db.query<StoredDocument>(
      'select provider, kind, id, doc::text as text from sandbox_state.documents where instance = $1 order by seq',
      [this.instance],
    );
    return rows;
  }

  async write(upserts: StoredDocument[], deletes: DocumentKey[]): Promise<void> {
    const db = await this.connection();
    await db.query(WRITE_SQL, [this.instance, JSON.stringify(deletes.map(keyOf)), documentsJson(upserts)]);
  }

  async replace(documents: StoredDocument[]): Promise<void> {
    const db = await this.connection();
    await db.query('begin');
    try {
      await db.query('delete from sandbox_state.documents where instance = $1', [this.instance]);
      await db.query(WRITE_SQL, [this.instance, '[]', documentsJson(documents)]);
      await db.query('commit');
    } catch (e) {
      await db.query('rollback').catch(() => undefined);
      throw e;
    }
  }

  async drop(): Promise<void> {
    const db = await this.connection();
    await db.query(
      `with docs as (delete from sandbox_state.documents where instance = $1)
       delete from sandbox_state.instances where instance = $1`,
      [this.instance],
    );
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // Ending the session releases the instance's lock.
    await client?.end().catch(() => undefined);
  }

  /**
   * The session that holds the instance's lock; writes go through it, so none is made without the
   * lock. A lost connection (Postgres restarted) is opened again, and the lock taken again, on next use.
   */
  async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 10_000,
      application_name: `sandbox ${this.instance}`.slice(0, 63),
    });
    const forget = () => {
      if (this.client === client) this.client = undefined;
    };
    // Without a listener a dropped connection would crash the sandbox.
    client.on('error', forget);
    client.on('end', forget);
    await client.connect();
    try {
      // A write is visible to the next sandbox the moment it commits, which is what a sandbox crash or
      // restart needs; waiting for the WAL flush as well (several ms a write here) would only guard
      // against Postgres itself crashing, at the cost of every provider call.
      await client.query('set synchronous_commit = off');
      await ensureSchema(client);
      await this.lock(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.client = client;
    return client;
  }

  private async lock(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1, hashtext($2)) as locked',
      [INSTANCE_LOCK, this.instance],
    );
    if (rows[0]?.locked) return;
    throw new StartupError(
      `sandbox instance "${this.instance}" is in use by another sandbox on ${redactUrl(this.databaseUrl)}; ` +
        'stop that one, or give this one its own SANDBOX_INSTANCE.',
    );
  }
}

/** Creates the schema once; sandboxes starting together (tests) take turns, as `if not exists` alone can race. */
async function ensureSchema(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ ready: boolean }>(
    "select to_regclass('sandbox_state.documents') is not null as ready",
  );
  if (rows[0]?.ready) return;
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1, 0)', [SCHEMA_LOCK]);
    await client.query(SCHEMA_DDL);
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
}

const keyOf = ({ provider, kind, id }: DocumentKey): DocumentKey => ({ provider, kind, id });

/** The documents as one JSON array, each `doc` spliced in as its own text (stored verbatim). */
function documentsJson(documents: StoredDocument[]): string {
  const items = documents.map((d) => `{"key":${JSON.stringify(keyOf(d))},"doc":${d.text}}`);
  return `[${items.join(',')}]`;
}
