import { formatNumber } from '../report.js';
import type { ChaosResult } from './chaos.js';

/** The one table `npm run chaos` prints (and the README shows), and the violations under it. */
export function chaosTable(r: ChaosResult, markdown = false): string {
  const s = (ms: number) => (Number.isFinite(ms) ? `${formatNumber(ms / 1000)} s` : '-');
  const states = ['succeeded', 'rolled_back', 'rollback_failed'];
  const others = Object.keys(r.byState).filter((k) => !states.includes(k));
  const kinds = Object.entries(r.faults.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'runs',
      `${r.runs.length} (seed ${r.options.seed}, ${r.options.workers} workers, time scale ${r.options.timeScale})`,
    ],
    ...states.map((st): [string, string] => [`  ${st}`, String(r.byState[st] ?? 0)]),
    ...others.map((st): [string, string] => [`  ${st} (not final)`, String(r.byState[st])]),
    ['transport faults injected', `${r.faults.total}${kinds ? ` (${kinds})` : ''}`],
    ['worker kills (SIGKILL)', `${r.kills}; ${r.unexpectedWorkerExits} other worker exits`],
    [
      'Redis restarts',
      `${r.redisRestarts}${r.redisRestartAt ? ` (at ${r.redisRestartAt.afterS} s, ${r.redisRestartAt.finalRuns} runs final; ${r.postRetries} POSTs sent again)` : ''}`,
    ],
    ['duplicates', String(r.counts.duplicates)],
    ['orphans', String(r.counts.orphans)],
    ['lost', String(r.counts.lost)],
    ['stuck', String(r.counts.stuck)],
    [
      'other violations',
      `${r.counts.other} (wrong final state, config, secrets in clear: ${r.secretsChecked} secrets looked for)`,
    ],
    ['run time p50 / p95', `${s(r.runTimeMs.p50)} / ${s(r.runTimeMs.p95)} (max ${s(r.runTimeMs.max)})`],
    ['waiting ended', r.endedBy],
  ];
  if (markdown)
    return ['| figure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a.trim()} | ${b} |`)].join('\n');
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${a.padEnd(width)}  ${b}`).join('\n');
}

/** Each violation on a line, grouped by kind, at most `limit` of each. */
export function violationLines(r: ChaosResult, limit = 20): string[] {
  const byKind = new Map<string, string[]>();
  for (const v of r.violations) {
    const who = [v.clientId, v.runId].filter(Boolean).join(' ');
    const list = byKind.get(v.kind) ?? [];
    list.push(`${v.kind}: ${who ? `${who}: ` : ''}${v.detail}`);
    byKind.set(v.kind, list);
  }
  return [...byKind.values()].flatMap((list) =>
    list.length > limit ? [...list.slice(0, limit), `… and ${list.length - limit} more`] : list,
  );
}
