import { readFile } from 'node:fs/promises';
import pg from 'pg';

/**
 * Each sandbox Supabase project gets a real database on DATABASE_URL's server,
 * prepared as Supabase prepares one (roles, `auth` schema, grants), so that the
 * `database` step runs real SQL and RLS policies can be exercised in tests.
 */

const PREPARE_SQL_URL = new URL('./project-database.sql', import.meta.url);
let prepareSql: Promise<string> | undefined;

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

export function projectDatabaseName(ref: string): string {
  if (!/^[a-z]{20}$/.test(ref)) throw new Error(`not a project ref: ${JSON.stringify(ref)}`);
  return `sbx_${ref}`;
}

export async function createProjectDatabase(serverUrl: string, dbName: string): Promise<void> {
  assertDbName(dbName);
  await withClient(serverUrl, async (admin) => {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [dbName]);
    if (rowCount) return;
    try {
      await admin.query(`create database ${pg.escapeIdentifier(dbName)}`);
    } catch (e) {
      // Another caller created it between our look and our create.
      const code = (e as { code?: string }).code;
      if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw e;
    }
  });
  prepareSql ??= readFile(PREPARE_SQL_URL, 'utf8');
  const sql = await prepareSql;
  await withClient(databaseUrl(serverUrl, dbName), async (db) => {
    await db.query('begin');
    try {
      await db.query(sql);
      await db.query('commit');
    } catch (e) {
      await db.query('rollback').catch(() => undefined);
      throw e;
    }
  });
}

export async function dropProjectDatabase(serverUrl: string, dbName: string): Promise<void> {
  assertDbName(dbName);
  await withClient(serverUrl, (admin) =>
    admin.query(`drop database if exists ${pg.escapeIdentifier(dbName)} with (force)`),
  );
}

/** The same server, another database. */
function databaseUrl(serverUrl: string, dbName: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  return url.toString();
}

function assertDbName(dbName: string): void {
  // Postgres truncates identifiers past 63 bytes: two long names could meet.
  if (!dbName || Buffer.byteLength(dbName) > 63) throw new Error(`bad database name: ${JSON.stringify(dbName)}`);
}

/**
 * At most this many connections at once from one sandbox: a burst of new projects (a fleet of
 * clients) queues here, as real projects queue while COMING_UP, instead of exhausting the
 * server's max_connections that tests and the product's own database step share.
 */
const MAX_CONNECTIONS = 8;
let open = 0;
const queued: (() => void)[] = [];

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  while (open >= MAX_CONNECTIONS) await new Promise<void>((resolve) => queued.push(resolve));
  open++;
  try {
    return await connected(connectionString, fn);
  } finally {
    open--;
    queued.shift()?.();
  }
}

async function connected<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  // A dropped connection also rejects the query in flight; without a listener it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
