import { postgresClient, type SchemaClient, type SchemaReport } from '../../providers/postgres.client.js';
import { AppError } from '../../shared/errors.js';
import { loadSchemaSql, SCHEMA_EXPECTATIONS } from '../templates/client-schema.js';
import type { Resources, StepDefinition } from '../step.types.js';

/**
 * Applies `templates/schema.sql` to the client's Supabase database and checks the result.
 * Re-runnable by construction (the schema is), so a retry simply applies it again.
 * No compensation: the database goes with the Supabase project.
 */
export function createDatabaseStep(db: SchemaClient = postgresClient): StepDefinition {
  return {
    name: 'database',
    async execute(ctx) {
      const sb = await ctx.input('supabase');
      const connectionString = projectConnectionString(sb.resources, sb.secret('dbPassword'));
      await db.applySchema(connectionString, await loadSchemaSql());
      const report = await db.verifySchema(connectionString);
      const problems = schemaProblems(report);
      if (problems.length) {
        throw new AppError('VERIFICATION_FAILED', `the client schema is not as expected: ${problems.join('; ')}`, {
          details: { ...report, expected: SCHEMA_EXPECTATIONS },
        });
      }
      ctx.log.info(
        { tables: report.tables, policies: report.policies, indexes: report.indexes },
        'client schema applied',
      );
      return {
        outcome: 'created',
        resources: { tables: report.tables, policies: report.policies, indexes: report.indexes, rls: true },
      };
    },
  };
}

export const databaseStep = createDatabaseStep();

export function schemaProblems(report: SchemaReport): string[] {
  const problems: string[] = [];
  if (report.tablesWithoutRls.length) problems.push(`RLS is off on ${report.tablesWithoutRls.join(', ')}`);
  for (const key of ['tables', 'policies', 'indexes'] as const) {
    if (report[key] !== SCHEMA_EXPECTATIONS[key])
      problems.push(`${report[key]} ${key}, expected ${SCHEMA_EXPECTATIONS[key]}`);
  }
  return problems;
}

/** User and password are URL-encoded: a generated password may hold any character. */
export function projectConnectionString(resources: Resources, password: string): string {
  const field = (key: string): string => {
    const v = resources[key];
    if ((typeof v !== 'string' && typeof v !== 'number') || v === '') {
      throw new AppError('DEPENDENCY_FAILED', `the supabase step recorded no ${key}`);
    }
    return String(v);
  };
  const host = field('dbHost');
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const auth = `${encodeURIComponent(field('dbUser'))}:${encodeURIComponent(password)}`;
  return `postgresql://${auth}@${hostPart}:${field('dbPort')}/${encodeURIComponent(field('dbName'))}`;
}
