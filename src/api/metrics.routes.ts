import { Router } from 'express';
import type { JobType } from 'bullmq';
import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';
import { METRICS, readMetrics, type MetricDefinition, type SeriesValue } from '../shared/metrics.js';
import type { Queues } from '../runs/queues.js';
import type { RunState } from '../runs/run.types.js';
import { hashToken } from './api-tokens.js';
import { createAuthenticator, requireAuth, type Principal } from './auth.js';

export const METRICS_PATH = '/metrics';

/** States a run can end in (`failed` when ROLLBACK_ON_FAILURE=manual): shown at 0 before the first one. */
const FINAL_STATES: RunState[] = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];
const JOB_STATES: JobType[] = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
];

export interface MetricsRouteDeps {
  authenticate: (header: string | undefined) => Principal | undefined;
  /** A token that opens /metrics only (for a scraper), besides the API's own tokens. */
  metricsToken?: string;
  queues: Queues;
}

/**
 * `GET /metrics` in Prometheus' text format: this process's own metrics (prom-client's
 * defaults), the queues' job counts, and what the workers recorded in Redis (src/shared/metrics.ts),
 * read at each scrape.
 */
export function metricsRoutes(deps: MetricsRouteDeps): Router {
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  const scraperToken = createAuthenticator(
    deps.metricsToken ? [{ role: 'viewer', name: 'metrics', sha256: hashToken(deps.metricsToken) }] : [],
  );
  const authenticate = (h: string | undefined) => deps.authenticate(h) ?? scraperToken(h);

  const router = Router();
  router.get(METRICS_PATH, requireAuth(authenticate), async (_req, res) => {
    const scrape = new Registry();
    const recorded = await readMetrics(deps.queues.connection, deps.queues.prefix);
    for (const def of Object.values(METRICS)) {
      const series = recorded.get(def.name) ?? [];
      if (def === METRICS.runs)
        for (const state of FINAL_STATES)
          if (!series.some((s) => s.labels.state === state)) series.push({ labels: { state }, value: 0 });
      scrape.registerMetric(fromSeries(def, series));
    }
    const jobs = new Gauge({
      name: 'provisioner_queue_jobs',
      help: 'Jobs in each queue, by state',
      labelNames: ['queue', 'state'],
      registers: [scrape],
    });
    for (const queue of [deps.queues.provision, deps.queues.rollback, deps.queues.callback]) {
      const counts = await queue.getJobCounts(...JOB_STATES);
      for (const [state, n] of Object.entries(counts)) jobs.set({ queue: queue.name, state }, n);
    }
    const merged = Registry.merge([processMetrics, scrape]);
    res.type(merged.contentType).send(await merged.metrics());
  });
  return router;
}

/** A recorded metric as prom-client renders it; histograms get their cumulative `le` buckets back. */
function fromSeries(def: MetricDefinition, series: SeriesValue[]): Metric {
  const values: { metricName?: string; labels: Record<string, string>; value: number }[] = [];
  for (const s of series) {
    if (def.type === 'counter') {
      values.push({ labels: s.labels, value: s.value });
      continue;
    }
    let cumulative = 0;
    const bounds = [...(def.buckets ?? []).map(String), '+Inf'];
    bounds.forEach((le, i) => {
      cumulative += s.buckets?.[i] ?? 0;
      values.push({ metricName: `${def.name}_bucket`, labels: { ...s.labels, le }, value: cumulative });
    });
    values.push({ metricName: `${def.name}_sum`, labels: s.labels, value: s.sum ?? 0 });
    values.push({ metricName: `${def.name}_count`, labels: s.labels, value: s.value });
  }
  const snapshot = { name: def.name, help: def.help, type: def.type, aggregator: 'sum' as const, values };
  // prom-client renders any object with these fields; its Metric type only names its own classes.
  return { ...snapshot, get: () => Promise.resolve(snapshot) } as unknown as Metric;
}
