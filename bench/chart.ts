import { formatNumber } from './report.js';

/**
 * The README's chart, as hand-written SVG: one panel per scenario, horizontal bars, the
 * product's figures in blue beside the references in grey, and each target as a dashed line.
 */
export interface Bar {
  label: string;
  value: number;
  /** A reference (in-process, bare flow, floor) rather than the product's own figure. */
  reference?: boolean;
}
export interface Panel {
  title: string;
  unit: string;
  bars: Bar[];
  target?: { value: number; label: string };
}

const WIDTH = 860;
const LABEL_W = 250;
const PLOT_W = WIDTH - LABEL_W - 110;
const BAR_H = 20;
const GAP = 8;
const TITLE_H = 34;
const PANEL_PAD = 22;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(p: Panel, top: number): { svg: string; height: number } {
  const values = [...p.bars.map((b) => b.value), p.target?.value ?? 0].filter(Number.isFinite);
  const scaleMax = Math.max(...values, 1e-9) * 1.08;
  const x = (v: number) => LABEL_W + (Math.max(0, v) / scaleMax) * PLOT_W;
  const parts: string[] = [`<text x="16" y="${top + 22}" class="title">${esc(p.title)}</text>`];
  const labels: string[] = [];
  p.bars.forEach((b, i) => {
    const y = top + TITLE_H + i * (BAR_H + GAP);
    const w = Number.isFinite(b.value) ? x(b.value) - LABEL_W : 0;
    parts.push(
      `<text x="${LABEL_W - 10}" y="${y + BAR_H * 0.72}" class="label" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" rx="3" class="${b.reference ? 'ref' : 'bar'}"/>`,
    );
    // Values last, over the target line.
    labels.push(
      `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + BAR_H * 0.72}" class="value">${esc(`${formatNumber(b.value)} ${p.unit}`)}</text>`,
    );
  });
  const barsBottom = top + TITLE_H + p.bars.length * (BAR_H + GAP) - GAP;
  if (p.target && Number.isFinite(p.target.value)) {
    const tx = x(p.target.value).toFixed(1);
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${top + TITLE_H - 6}" y2="${barsBottom + 6}" class="target"/>`,
      `<text x="${tx}" y="${barsBottom + 20}" class="tlabel" text-anchor="middle">${esc(p.target.label)}</text>`,
    );
  }
  parts.push(...labels);
  return { svg: parts.join('\n'), height: barsBottom - top + (p.target ? 30 : 14) + PANEL_PAD };
}

export function chartSvg(panels: Panel[], caption: string): string {
  let top = 8;
  const body: string[] = [];
  for (const p of panels) {
    const { svg, height } = panel(p, top);
    body.push(svg);
    top += height;
  }
  const height = top + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 15px; font-weight: 600; fill: #111827; }
  .label { font-size: 12.5px; fill: #374151; }
  .value { font-size: 12.5px; fill: #111827; paint-order: stroke; stroke: #ffffff; stroke-width: 4px; }
  .bar { fill: #2563eb; }
  .ref { fill: #9ca3af; }
  .target { stroke: #dc2626; stroke-width: 1.5; stroke-dasharray: 5 4; }
  .tlabel { font-size: 11.5px; fill: #dc2626; paint-order: stroke; stroke: #ffffff; stroke-width: 4px; }
  .caption { font-size: 11px; fill: #6b7280; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${body.join('\n')}
<text x="16" y="${height - 10}" class="caption">${esc(caption)}</text>
</svg>
`;
}
