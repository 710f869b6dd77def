import { pino, type Logger } from 'pino';

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

export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } });
}
