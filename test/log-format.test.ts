import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../src/shared/log-format.js';

const at = new Date(2026, 0, 2, 14, 2, 7).getTime();
const line = (fields: Record<string, unknown>) =>
  formatLogLine(JSON.stringify({ level: 30, time: at, pid: 1, name: 'provisioner', ...fields }));

describe('the readable log lines of npm start', () => {
  it('When a step transition is logged, then it reads as time, run, client, step, event, attempt and duration', () => {
    const text = line({
      runId: '3f2a9c1e-0000-4000-8000-000000000000',
      clientId: 'acme',
      step: 'supabase',
      event: 'succeeded',
      attempt: 1,
      durationMs: 3012,
      jobId: 'x-g1-supabase',
      msg: 'step finished',
    });
    expect(text).toBe('14:02:07  3f2a9c1e  acme          supabase   succeeded    #1  3012 ms');
  });

  it('When a step fails, then the line says why; other lines keep their level, message and fields', () => {
    const failed = line({
      level: 40,
      runId: '3f2a9c1e-0',
      clientId: 'acme',
      step: 'vercel',
      event: 'failed',
      attempt: 2,
      code: 'PROVIDER_REJECTED',
      msg: 'step failed: Vercel said no',
    });
    expect(failed).toBe(
      '14:02:07  WARN  3f2a9c1e  acme          vercel     failed       #2  step failed: Vercel said no',
    );
    expect(line({ msg: 'api listening', url: 'http://127.0.0.1:3000' })).toBe(
      '14:02:07  api listening  url=http://127.0.0.1:3000',
    );
    const run = line({
      runId: '3f2a9c1e-0',
      clientId: 'acme',
      step: 'vercel',
      code: 'PROVIDER_REJECTED',
      msg: 'run failed',
    });
    expect(run).toBe('14:02:07  3f2a9c1e  acme          run failed  step=vercel  code=PROVIDER_REJECTED');
    expect(formatLogLine('not json')).toBe('not json');
  });
});
