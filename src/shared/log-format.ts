/**
 * Logs a person can follow, for `npm start` (pino-pretty is not a dependency): each JSON line
 * pino writes becomes one short line. A step's transition reads
 *
 *   14:02:07  3f2a9c1e  acme          supabase  succeeded  #1  3012 ms
 *
 * (time, run id's first 8 characters, client, step, event, attempt, duration); anything else
 * reads `14:02:07  WARN  message  key=value …`. JSON stays the format everywhere else.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields and the columns every line shows; a step line also shows (or drops) these. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'runId', 'clientId']);
const STEP_COLUMNS = new Set(['step', 'event', 'attempt', 'durationMs', 'jobId', 'rollback', 'code', 'retryable']);

export function prettyStream(out: { write(text: string): unknown } = process.stdout) {
  return { write: (line: string) => void out.write(`${formatLogLine(line)}\n`) };
}

export function formatLogLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = new Date(typeof o.time === 'number' ? o.time : Date.now()).toTimeString().slice(0, 8);
  const level = Number(o.level ?? 30);
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
  const msg = text(o.msg);
  const cols = [time];
  if (level >= 40 || (typeof o.runId !== 'string' && level !== 30)) cols.push(LEVELS[level] ?? String(level));
  if (typeof o.runId === 'string') cols.push(o.runId.slice(0, 8), text(o.clientId).padEnd(12));
  const stepLine = typeof o.step === 'string' && typeof o.event === 'string';
  if (stepLine) {
    cols.push(
      String(o.step).padEnd(9),
      String(o.event).padEnd(11),
      o.attempt === undefined ? '' : `#${text(o.attempt)}`,
    );
    if (typeof o.durationMs === 'number') cols.push(`${o.durationMs} ms`);
    if (o.event === 'failed' || o.event === 'retrying') cols.push(msg);
  } else {
    cols.push(msg);
  }
  const rest = Object.entries(o)
    .filter(([k]) => !SHOWN.has(k) && !(stepLine && STEP_COLUMNS.has(k)))
    .map(([k, v]) => `${k}=${text(v)}`);
  return [...cols, ...rest].filter(Boolean).join('  ');
}
