import pg from 'pg';
import { projectDatabaseName } from './project-database.js';

/** Where the sandbox Postgres server listens, read from `deps.databaseUrl`. */
export interface DatabaseServer {
  host: string;
  port: number;
}

export function databaseServer(serverUrl: string): DatabaseServer {
  const url = new URL(serverUrl);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 5432 };
}

/**
 * `SupavisorConfigResponse[]` pointing at the project's real database. Like Supabase, the
 * connection string carries the literal `[YOUR-PASSWORD]` placeholder for the client to fill in.
 */
export function poolerView(ref: string, server: DatabaseServer): Record<string, unknown>[] {
  const dbName = projectDatabaseName(ref);
  const hostPart = server.host.includes(':') ? `[${server.host}]` : server.host;
  const connectionString = `postgresql://postgres:[YOUR-PASSWORD]@${hostPart}:${server.port}/${dbName}`;
  return [
    {
      identifier: ref,
      database_type: 'PRIMARY',
      is_using_scram_auth: true,
      db_user: 'postgres',
      db_host: server.host,
      db_port: server.port,
      db_name: dbName,
      connection_string: connectionString,
      connectionString,
      default_pool_size: 15,
      max_client_conn: 200,
      pool_mode: 'transaction',
    },
  ];
}

export type QueryOutcome = { ok: true; rows: unknown[] } | { ok: false; message: string };

/** Runs SQL on the project's database as the Management API's `database/query` does; answers the last statement's rows. */
export async function runProjectQuery(
  serverUrl: string,
  ref: string,
  sql: string,
  parameters: unknown[] | undefined,
  readOnly: boolean,
): Promise<QueryOutcome> {
  const url = new URL(serverUrl);
  url.pathname = `/${projectDatabaseName(ref)}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  // A dropped connection also rejects the query in flight; without a listener it would crash the sandbox.
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (readOnly) await client.query('begin read only');
    const result = (await client.query(sql, parameters)) as pg.QueryResult | pg.QueryResult[];
    if (readOnly) await client.query('commit');
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return { ok: true, rows: last?.rows ?? [] };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: false, message: `Failed to run sql query: ERROR:  ${e.code ?? 'XX000'}: ${e.message ?? String(err)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}
