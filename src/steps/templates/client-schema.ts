import { loadTemplateText } from '../../shared/templates.js';

/** What `templates/schema.sql` creates in schema `public`; the `database` step verifies it. */
export const SCHEMA_EXPECTATIONS = { tables: 21, policies: 25, indexes: 17 } as const;

export const loadSchemaSql = (): Promise<string> => loadTemplateText('schema.sql');
