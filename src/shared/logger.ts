import { pino, type Logger } from 'pino';
import { prettyStream } from './log-format.js';

export type { Logger };

/**
 * JSON logs with secret-bearing fields censored wherever they appear.
 * Redaction is the last line of defence: code never logs a secret on purpose.
 */
const REDACT = [
  'password',
  'db_pass',
  'dbPassword',
  'token',
  'apiKey',
  'api_key',
  'serviceRoleKey',
  'anonKey',
  'authorization',
  'Authorization',
  'headers.authorization',
  'x-n8n-api-key',
  'secret',
  'value',
  'connectionString',
  'connection_string',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** JSON lines by default; `pretty` (npm start) writes lines a person reads (log-format.ts). */
export function createLogger(level: string, name: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } };
  return format === 'pretty' ? pino(options, prettyStream()) : pino(options);
}
