import { html, type Html } from './html.js';

/** `2026-11-22 16:40:12 UTC` in a <time> element carrying the ISO value. */
export function time(iso: string | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return html`${iso}`;
  const text = d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return html`<time datetime="${d.toISOString()}">${text}</time>`;
}

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Time between two ISO instants, the second defaulting to `now` (a run still going). */
export function between(from: string | undefined, to: string | undefined, now = Date.now()): string {
  if (!from) return '—';
  return duration((to ? Date.parse(to) : now) - Date.parse(from));
}

export const shortId = (runId: string) => runId.slice(0, 8);

/** A state as a badge: the word itself, coloured by a class (the colour is never the only cue). */
export const stateBadge = (state: string) =>
  html`<span class="state state-${state}">${state.replace(/_/g, ' ')}</span>`;
