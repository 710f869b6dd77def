/** Small statistics over milliseconds: what the table and the chart print. */

export const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** The p-th percentile (nearest rank), p in 0..100; NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);
export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
export const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
export const min = (xs: readonly number[]): number => xs.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);

/** Rounded for print: 3 significant digits under 100, whole numbers above. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  return Number(x.toPrecision(3));
}

export const ms = (from: string | number, to: string | number): number =>
  (typeof to === 'number' ? to : Date.parse(to)) - (typeof from === 'number' ? from : Date.parse(from));
