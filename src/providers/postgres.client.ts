import pg from 'pg';
import { AppError } from '../shared/errors.js';

/**
 * The `database` step's way into a project's Postgres: apply SQL in one transaction,
 * and count what schema `public` holds from the catalogs. Errors carry our codes and
 * name the server as host:port/db, never the connection string (it holds the password).
 */
export interface SchemaReport {
  tables: number;
  tablesWithoutRls: string[];
  policies: number;
  /** Indexes that do not back a primary key, unique or exclusion constraint. */
  indexes: number;
}

export interface PostgresOptions {
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export interface SchemaClient {
  applySchema(connectionString: string, sql: string, options?: PostgresOptions): Promise<void>;
  verifySchema(connectionString: string, options?: PostgresOptions): Promise<SchemaReport>;
}

const REPORT_SQL = `
  select
    (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p'))::int as tables,
    (select coalesce(array_agg(c.relname::text order by c.relname), '{}'::text[]) from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity) as "tablesWithoutRls",
    (select count(*) from pg_policies where schemaname = 'public')::int as policies,
    (select count(*) from pg_index i
      join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
      where n.nspname = 'public'
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
    )::int as indexes`;

export async function applySchema(connectionString: string, sql: string, options: PostgresOptions = {}): Promise<void> {
  await withClient(connectionString, options, async (client) => {
    await client.query('begin');
    try {
      await client.query(sql);
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    }
  });
}

export async function verifySchema(connectionString: string, options: PostgresOptions = {}): Promise<SchemaReport> {
  return withClient(connectionString, options, async (client) => {
    const { rows } = await client.query<SchemaReport>(REPORT_SQL);
    return rows[0]!;
  });
}

export const postgresClient: SchemaClient = { applySchema, verifySchema };

async function withClient<T>(
  connectionString: string,
  options: PostgresOptions,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const target = describeTarget(connectionString);
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 120_000,
  });
  // A dropped connection also rejects the query in flight; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch (e) {
    throw toAppError(e, target);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// Server starting or shutting down, too many connections, statement timeout, serialization failure, deadlock, lock timeout.
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01', '55P03']);

/** Built from the error's code and pg's own message, which never contains the password. */
export function toAppError(e: unknown, target: string): AppError {
  if (e instanceof AppError) return e;
  const err = e as { code?: unknown; message?: unknown; position?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : String(e);
  // pg's own connect timeout and dropped connections come without a code.
  if (UNREACHABLE.has(code) || code.startsWith('08') || (!code && /timeout|terminated|closed/i.test(message))) {
    return new AppError('PROVIDER_UNAVAILABLE', `postgres at ${target} unreachable: ${code || message}`, {
      retryable: true,
    });
  }
  if (code === '28P01' || code === '28000') {
    return new AppError('PROVIDER_AUTH_FAILED', `postgres at ${target} refused the credentials (${code})`);
  }
  // A new project's database may not be there yet.
  if (code === '3D000')
    return new AppError('RESOURCE_NOT_READY', `postgres at ${target}: ${message}`, { retryable: true });
  if (RETRYABLE_SQLSTATES.has(code))
    return new AppError('PROVIDER_UNAVAILABLE', `postgres at ${target}: ${message} (${code})`, { retryable: true });
  const details = { sqlstate: code, ...(typeof err.position === 'string' ? { position: err.position } : {}) };
  return new AppError('RESOURCE_FAILED', `postgres at ${target}: ${message}${code ? ` (${code})` : ''}`, { details });
}

function describeTarget(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'an unparsable connection string';
  }
}
