import type { Panel } from './chart.js';
import type { ScenarioResult } from './report.js';

/** The chart's panels from what the scenarios measured (only those that ran). */
export function panels(results: ScenarioResult[]): Panel[] {
  const out: Panel[] = [];
  const by = (name: string) => results.find((r) => r.name === name)?.data as any;
  const o = by('overhead');
  if (o)
    out.push({
      title: `Overhead: one run at a time, zero-latency providers (median of ${o.runMs.length})`,
      unit: 'ms',
      bars: [
        { label: 'run, POST → succeeded', value: o.median.run },
        { label: 'the six steps in-process', value: o.median.inProcess, reference: true },
        { label: 'bare BullMQ flow (7 jobs)', value: o.median.bareFlow, reference: true },
      ],
      target: { value: o.median.inProcess + 6 * 5, label: 'target: in-process + 5 ms a step' },
    });
  const r = by('one-run');
  if (r) {
    const i = r.ratios.indexOf([...r.ratios].sort((a: number, b: number) => a - b)[Math.ceil(r.ratios.length / 2) - 1]);
    const f = r.runs[Math.max(0, i)];
    out.push({
      title: 'One run, realistic profile (time-scaled)',
      unit: 's',
      bars: [
        { label: 'run, POST → succeeded', value: f.duration / 1000 },
        { label: 'its critical path', value: f.criticalPath / 1000, reference: true },
        { label: 'the sum of its six steps', value: f.sequential / 1000, reference: true },
        { label: 'rollback: backup fails → rolled_back', value: r.rollback.failureToRolledBackMs / 1000 },
      ],
      target: { value: (1.05 * f.criticalPath) / 1000, label: 'target: 1.05 × critical path' },
    });
  }
  const f = by('fleet');
  if (f)
    out.push({
      title: `Fleet: ${f.runMs.all.length} clients at once, realistic profile, limits on (time-scaled)`,
      unit: 's',
      bars: [
        { label: 'makespan', value: f.makespanMs / 1000 },
        { label: "floor set by the providers' limits", value: f.floorMs / 1000, reference: true },
        { label: 'run time p50', value: f.runMs.p50 / 1000 },
        { label: 'run time p95', value: f.runMs.p95 / 1000 },
      ],
      target: { value: (1.15 * f.floorMs) / 1000, label: 'target: 1.15 × floor' },
    });
  const t = by('throughput');
  if (t)
    out.push({
      title: 'Throughput: runs at once, zero-latency providers, no limits',
      unit: 'runs/s',
      bars: [
        { label: 'bare BullMQ flow', value: t.bare.rate, reference: true },
        { label: 'the six steps in-process', value: t.inProcess.rate, reference: true },
        { label: '1 worker process', value: t.oneWorker.rate },
        { label: '2 worker processes', value: t.twoWorkers.rate },
      ],
      target: { value: t.bare.rate / 2, label: "target: half the bare flow's" },
    });
  return out;
}
