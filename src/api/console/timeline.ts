import { errorInWords } from '../../shared/error-words.js';
import type { ConsoleRun, ConsoleStep } from './console-run.js';
import { IN_FLIGHT_STATES } from './console-run.js';
import { duration, stateBadge } from './format.js';
import { html, type Html } from './html.js';

/**
 * The run's Gantt chart: one lane per step with a bar per attempt (and the waits between
 * them), then one lane per compensation. Plain HTML and CSS: a bar is placed by two classes
 * (`gs-N` start, `gw-N` width, in half percents, from gantt.css), so the page needs no inline
 * style and works under a `default-src 'self'` policy, and without script.
 */
export const UNITS = 200;

type BarKind = 'ok' | 'failed' | 'running' | 'wait' | 'ratelimit' | 'compensated' | 'compensation-failed';

export interface Bar {
  kind: BarKind;
  from: number;
  to: number;
  label: string;
}

export interface Lane {
  name: string;
  state: string;
  bars: Bar[];
}

export function timelineOf(run: ConsoleRun, now = Date.now()): { start: number; end: number; lanes: Lane[] } {
  const steps = run.steps.map((s) => ({ name: s.name, state: s.state, bars: stepBars(s, run.state, now) }));
  const undo = run.steps
    .filter((s) => s.compensation?.finishedAt)
    .map((s) => compensationLane(s))
    .sort((a, b) => (a.bars[0]?.from ?? 0) - (b.bars[0]?.from ?? 0));
  const lanes = [...steps, ...undo];
  const start = Date.parse(run.createdAt);
  const ends = lanes.flatMap((l) => l.bars.map((b) => b.to));
  if (run.finishedAt) ends.push(Date.parse(run.finishedAt));
  if (IN_FLIGHT_STATES.includes(run.state)) ends.push(now);
  const end = Math.max(start + 1000, ...ends);
  return { start, end, lanes };
}

function stepBars(s: ConsoleStep, runState: string, now: number): Bar[] {
  const bars: Bar[] = [];
  const failures = s.failedAttempts ?? [];
  for (const f of failures) {
    const to = Date.parse(f.failedAt);
    const from = f.startedAt ? Date.parse(f.startedAt) : to;
    bars.push({ kind: 'failed', from, to, label: `attempt ${f.attempt} failed: ${errorInWords(f)} (${f.code})` });
  }
  const covered = failures.at(-1)?.startedAt === s.lastAttemptAt;
  const active = s.state === 'running' && !s.finishedAt;
  if (s.lastAttemptAt && !covered && (s.finishedAt || active)) {
    const from = Date.parse(s.lastAttemptAt);
    const to = s.finishedAt ? Date.parse(s.finishedAt) : now;
    const kind: BarKind = active ? 'running' : s.error ? 'failed' : 'ok';
    const word = kind !== 'ok' ? kind : s.state === 'skipped' ? 'found already done' : 'succeeded';
    bars.push({ kind, from, to, label: `attempt ${s.attempts} ${word}` });
  }
  bars.sort((a, b) => a.from - b.from);
  const waits: Bar[] = [];
  for (let i = 1; i < bars.length; i++) {
    const gap = { from: bars[i - 1]!.to, to: bars[i]!.from };
    if (gap.to > gap.from)
      waits.push({ kind: 'wait', ...gap, label: `waited ${duration(gap.to - gap.from)} to retry` });
  }
  const last = bars.at(-1);
  if (s.waitingUntil && Date.parse(s.waitingUntil) > now)
    waits.push({
      kind: 'ratelimit',
      from: last?.to ?? now,
      to: Date.parse(s.waitingUntil),
      label: "waiting for the provider's rate limit",
    });
  else if (s.state === 'running' && IN_FLIGHT_STATES.includes(runState) && last && last.kind !== 'running')
    waits.push({ kind: 'wait', from: last.to, to: now, label: 'waiting to retry' });
  return [...bars, ...waits];
}

function compensationLane(s: ConsoleStep): Lane {
  const c = s.compensation!;
  const to = Date.parse(c.finishedAt!);
  const from = c.startedAt ? Date.parse(c.startedAt) : to;
  const failed = s.state === 'compensation_failed';
  const outcome = failed
    ? `failed${c.error ? `: ${errorInWords(c.error)} (${c.error.code})` : ''}`
    : (c.outcome ?? 'done').replace(/_/g, ' ');
  const attempts = c.attempts ? `, ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}` : '';
  return {
    name: `undo ${s.name}`,
    state: s.state,
    bars: [{ kind: failed ? 'compensation-failed' : 'compensated', from, to, label: `${outcome}${attempts}` }],
  };
}

/** Start and width in units of the chart's span; at least one unit wide, never past the end. */
export function place(bar: Pick<Bar, 'from' | 'to'>, start: number, end: number): { s: number; w: number } {
  const at = (t: number) => Math.min(UNITS, Math.max(0, Math.round(((t - start) / (end - start)) * UNITS)));
  const w = Math.max(1, at(bar.to) - at(bar.from));
  return { s: Math.min(at(bar.from), UNITS - w), w };
}

export function renderTimeline(run: ConsoleRun, now = Date.now()): Html {
  const { start, end, lanes } = timelineOf(run, now);
  const ticks = [0, 50, 100, 150, 200].map(
    (u) => html`<span class="tick gs-${u}">${duration(((end - start) * u) / UNITS)}</span>`,
  );
  const lane = (l: Lane) =>
    html`<li class="lane">
      <span class="lane-name">${l.name} ${stateBadge(l.state)}</span>
      <ul class="track" aria-label="${l.name}">
        ${l.bars.length ? l.bars.map((b) => bar(b, start, end)) : html`<li class="muted none">not started</li>`}
      </ul>
    </li>`;
  return html`<div class="gantt">
    <div class="gantt-axis" aria-hidden="true">${ticks}</div>
    <ol class="gantt-lanes">
      ${lanes.map(lane)}
    </ol>
    <p class="legend" aria-hidden="true">
      <span class="key bar-ok"></span> succeeded <span class="key bar-failed"></span> failed attempt
      <span class="key bar-running"></span> running <span class="key bar-wait"></span> waiting to retry
      <span class="key bar-ratelimit"></span> rate limit <span class="key bar-compensated"></span> undone
      <span class="key bar-compensation-failed"></span> undo failed
    </p>
  </div>`;
}

function bar(b: Bar, start: number, end: number): Html {
  const { s, w } = place(b, start, end);
  const text = `${b.label}, ${duration(b.to - b.from)}, from ${duration(b.from - start)} to ${duration(b.to - start)}`;
  return html`<li class="bar bar-${b.kind} gs-${s} gw-${w}" title="${text}">
    <span class="visually-hidden">${text}</span>
  </li>`;
}

/** The classes `place` uses, as a stylesheet: `.gs-N{left:N/2%}` and `.gw-N{width:N/2%}`. */
export function ganttCss(): string {
  const rules: string[] = [];
  for (let n = 0; n <= UNITS; n++) {
    const pct = `${(n * 100) / UNITS}%`;
    rules.push(`.gs-${n}{left:${pct}}`, `.gw-${n}{width:${pct}}`);
  }
  return rules.join('\n') + '\n';
}
