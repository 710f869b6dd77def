/** One figure of the table: its value beside its target, PASS or MISS when it has one. */
export interface Row {
  scenario: string;
  figure: string;
  value: number | string;
  unit?: string;
  target?: string;
  pass?: boolean;
}

/** What a scenario hands back: its table rows, its figures for the JSON and the chart, what broke. */
export interface ScenarioResult {
  name: string;
  settings: Record<string, unknown>;
  rows: Row[];
  data: Record<string, unknown>;
  /** Failed runs and broken invariants: any makes the bench exit non-zero. */
  problems: string[];
}

const show = (r: Row): string => {
  const v = typeof r.value === 'number' ? formatNumber(r.value) : r.value;
  return r.unit ? `${v} ${r.unit}` : v;
};

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(3)));
}

/** The table as aligned text (and as Markdown for the README). */
export function table(rows: Row[], markdown = false): string {
  const cells = rows.map((r) => [
    r.scenario,
    r.figure,
    show(r),
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS',
  ]);
  const head = ['scenario', 'figure', 'measured', 'target', 'result'];
  if (markdown) {
    const line = (c: string[]) => `| ${c.join(' | ')} |`;
    return [line(head), line(head.map(() => '---')), ...cells.map(line)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
