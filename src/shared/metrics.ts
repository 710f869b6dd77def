import { AsyncLocalStorage } from 'node:async_hooks';
import type { RedisClient } from './redis.js';

/**
 * What the product measures, and the one way to record it.
 *
 * The API and the workers are separate processes (workers on other machines, any number of
 * them), and only the API serves `/metrics`. So a worker records into Redis, a hash under the
 * queue prefix, and the API reads that hash when it is scraped: every worker's counts add up in
 * one place, survive a worker's restart, and need no discovery of worker addresses.
 *
 * Recording never throws and never waits: a lost increment is better than a slowed step. It goes
 * to the sink of the job being processed (`recordingTo`), so that several workers with their own
 * prefixes in one process (the tests) each count their own; outside a job it is a no-op.
 */
export interface MetricDefinition {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labels: readonly string[];
  /** Upper bounds of a histogram's buckets, in seconds (+Inf is implied). */
  buckets?: readonly number[];
}

const SHORT = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;
const LONG = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] as const;

export const METRICS = {
  runs: {
    name: 'provisioner_runs_total',
    help: 'Runs that reached a final state (failed: with ROLLBACK_ON_FAILURE=manual), by state',
    type: 'counter',
    labels: ['state'],
  },
  runDuration: {
    name: 'provisioner_run_duration_seconds',
    help: 'Time from the POST to the final state, by final state',
    type: 'histogram',
    labels: ['state'],
    buckets: LONG,
  },
  stepDuration: {
    name: 'provisioner_step_duration_seconds',
    help: 'Time one attempt of a step took, by step',
    type: 'histogram',
    labels: ['step'],
    buckets: SHORT,
  },
  providerRequests: {
    name: 'provisioner_provider_requests_total',
    help: 'Requests to providers, by provider, operation and HTTP status ("error": no answer)',
    type: 'counter',
    labels: ['provider', 'operation', 'status'],
  },
  rateLimitWait: {
    name: 'provisioner_rate_limit_wait_seconds_total',
    help: "Time spent waiting for a provider's rate limit, by provider",
    type: 'counter',
    labels: ['provider'],
  },
  compensations: {
    name: 'provisioner_compensations_total',
    help: 'Compensations run by rollbacks, by step and outcome',
    type: 'counter',
    labels: ['step', 'outcome'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Where recorded values go: the Redis hash of one queue prefix. */
export interface MetricsSink {
  redis: RedisClient;
  key: string;
}

export const metricsKey = (prefix: string) => `${prefix}:metrics`;
export const metricsSink = (redis: RedisClient, prefix: string): MetricsSink => ({ redis, key: metricsKey(prefix) });

const current = new AsyncLocalStorage<MetricsSink>();

/** `processor` (a BullMQ processor) with what it measures going to `sink`. */
export function recordingTo<A extends unknown[], R>(sink: MetricsSink, processor: (...args: A) => R) {
  return (...args: A): R => current.run(sink, () => processor(...args));
}

export function recordProviderRequest(provider: string, operation: string, status: number | 'error'): void {
  count(METRICS.providerRequests, [provider, operation, String(status)], 1);
}

/** Fed by whatever waits for a provider's rate limit (the shared rate budgets). */
export function recordRateLimitWait(provider: string, seconds: number): void {
  if (seconds > 0) count(METRICS.rateLimitWait, [provider], seconds);
}

export function recordStepDuration(step: string, seconds: number): void {
  observe(METRICS.stepDuration, [step], seconds);
}

/** Once per run reaching a final state: call it where the state change succeeded. */
export function recordRunFinished(state: string, seconds: number): void {
  count(METRICS.runs, [state], 1);
  observe(METRICS.runDuration, [state], seconds);
}

export function recordCompensation(step: string, outcome: string): void {
  count(METRICS.compensations, [step, outcome], 1);
}

// The hash's fields: `<name>|<label values as JSON>` for a counter; a histogram adds
// `|b<i>` (observations in bucket i alone, not cumulative), `|sum` and `|count`.
const field = (def: MetricDefinition, labels: string[], part?: string) =>
  `${def.name}|${JSON.stringify(labels)}${part ? `|${part}` : ''}`;

function count(def: MetricDefinition, labels: string[], by: number): void {
  const sink = current.getStore();
  if (!sink) return;
  sink.redis.hincrbyfloat(sink.key, field(def, labels), by).catch(() => undefined);
}

function observe(def: MetricDefinition, labels: string[], value: number): void {
  const sink = current.getStore();
  if (!sink || !Number.isFinite(value)) return;
  const buckets = def.buckets ?? [];
  const i = buckets.findIndex((le) => value <= le);
  sink.redis
    .multi()
    .hincrby(sink.key, field(def, labels, `b${i === -1 ? buckets.length : i}`), 1)
    .hincrbyfloat(sink.key, field(def, labels, 'sum'), value)
    .hincrby(sink.key, field(def, labels, 'count'), 1)
    .exec()
    .catch(() => undefined);
}

/** One labelled series as read back: a counter's value, or a histogram's buckets. */
export interface SeriesValue {
  labels: Record<string, string>;
  value: number;
  /** Histograms: observations per bucket (not cumulative), the last one +Inf. */
  buckets?: number[];
  sum?: number;
}

/** Every series recorded under a prefix, by metric name. */
export async function readMetrics(redis: RedisClient, prefix: string): Promise<Map<string, SeriesValue[]>> {
  const raw = await redis.hgetall(metricsKey(prefix));
  const defs = new Map<string, MetricDefinition>(Object.values(METRICS).map((d) => [d.name, d]));
  const series = new Map<string, Map<string, SeriesValue>>();
  for (const [f, v] of Object.entries(raw)) {
    const m = /^([a-z_]+)\|(\[.*\])(?:\|(b\d+|sum|count))?$/.exec(f);
    const def = m && defs.get(m[1]!);
    if (!def) continue;
    const values = JSON.parse(m[2]!) as string[];
    const byLabels = series.get(def.name) ?? new Map<string, SeriesValue>();
    series.set(def.name, byLabels);
    const labels = Object.fromEntries(def.labels.map((l, i) => [l, values[i] ?? '']));
    const s = byLabels.get(m[2]!) ?? {
      labels,
      value: 0,
      ...(def.type === 'histogram' ? { buckets: Array<number>((def.buckets?.length ?? 0) + 1).fill(0), sum: 0 } : {}),
    };
    byLabels.set(m[2]!, s);
    const part = m[3];
    if (!part || part === 'count') s.value = Number(v);
    else if (part === 'sum') s.sum = Number(v);
    else if (s.buckets) s.buckets[Number(part.slice(1))] = Number(v);
  }
  return new Map([...series].map(([name, m]) => [name, [...m.values()]]));
}
