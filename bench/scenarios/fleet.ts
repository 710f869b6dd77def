import type { StepName } from '../../src/steps/step-graph.js';
import { buildRequest } from '../../test/support/factories.js';
import { ONE_OF_EACH } from '../../test/support/harness.js';
import { fleetBreakdown } from '../fleet-breakdown.js';
import { criticalPath, projectsFloor, restAfter, ruleFloors, type CallRecord, type SandboxLimits } from '../floor.js';
import type { ScenarioResult } from '../report.js';
import { notIn, resourcesNot, runAll, stepDurations } from '../runs.js';
import { prefixMemory, usedMemory, type Stack } from '../stack.js';
import { max, median, min, percentile } from '../stats.js';

export interface FleetOptions {
  clients: number;
  timeoutMs: number;
}

export const FLEET_TARGET = 1.15;
export const RSS_TARGET_MB = 250;

/**
 * Many clients posted at once with the realistic profile and the providers' limits on: the
 * makespan beside the floor the limits set for the requests made (floor.ts), the rate-limited
 * answers, requests per run by provider, run times, worker memory and Redis memory per run.
 */
export async function fleet(stack: Stack, o: FleetOptions): Promise<ScenarioResult> {
  const requests = Array.from({ length: o.clients }, () => buildRequest());
  const redisBefore = await usedMemory(stack.redis);
  const idleRss = stack.workers.map((w) => w.rssMb() ?? Number.NaN);
  const t0 = Date.now();
  const { posted, postedInMs, views } = await runAll(stack, requests, o.timeoutMs);
  const redisAfter = await usedMemory(stack.redis);
  const ours = await prefixMemory(stack.redis, stack.prefix);
  const rss = stack.workers.map((w, i) => ({
    worker: w.name,
    peakRssMb: w.peakRssMb() ?? Number.NaN,
    idleRssMb: idleRss[i],
  }));
  const calls = (await stack.sandbox.calls()) as CallRecord[];
  const limited = await stack.sandbox.rateLimits();
  const state = await stack.sandbox.state();

  const ends = views.map((v) => Date.parse(v.finishedAt ?? ''));
  const makespan = max(ends) - t0;
  const runMs = views.map((v, i) => Date.parse(v.finishedAt ?? '') - posted[i]!.postedAt);
  // What each step took itself, less the time it was set aside for a rate limit.
  const durations = views.map((v) => stepDurations(v, true));
  const statOf = (f: (xs: number[]) => number) =>
    Object.fromEntries(
      (['supabase', 'database', 'github', 'vercel', 'n8n', 'backup'] as StepName[]).map((s) => [
        s,
        f(durations.map((d) => d[s] ?? Number.NaN).filter(Number.isFinite)),
      ]),
    ) as Record<StepName, number>;
  const stepMedians = statOf(median);
  // The floor is a lower bound: what follows a request is the fastest of each step, never a median.
  const stepMins = statOf(min);
  const scale = stack.options.timeScale;
  const sandboxLimits = limited.limits as SandboxLimits;
  const provisionMs = supabaseProvisionMs(state);
  const fastestProject = Math.min(...provisionMs);
  const rules = ruleFloors(calls, sandboxLimits, scale).map((r) => {
    // After a Supabase request the project must still come up (at the fastest) before what follows.
    const restMs = (r.step === 'supabase' ? fastestProject : 0) + restAfter(r.step, stepMins);
    return { ...r, restMs, floorMs: r.lastRequestMs + restMs };
  });
  const projects = {
    rule: `Supabase projects coming up (the sandbox's own times), ${sandboxLimits.supabase.perEndpoint.limit} creates a window`,
    floorMs: projectsFloor(
      provisionMs,
      sandboxLimits.supabase.perEndpoint,
      scale,
      stepMins.database + restAfter('database', stepMins),
    ),
  };
  const binding = [...rules, projects].reduce((a, b) => (b.floorMs > a.floorMs ? b : a), projects);
  const floor = binding.floorMs;
  const floorBy = binding.rule;
  const slowestPath = max(durations.map(criticalPath));

  const byProvider: Record<string, number> = {};
  for (const c of calls) byProvider[c.provider] = (byProvider[c.provider] ?? 0) + 1;
  const perRun = Object.fromEntries(Object.entries(byProvider).map(([p, n]) => [p, n / o.clients]));
  const byOperation: Record<string, number> = {};
  for (const c of calls)
    byOperation[`${c.provider} ${c.operationId}`] = (byOperation[`${c.provider} ${c.operationId}`] ?? 0) + 1;
  const logFull = calls.length >= 50_000 || (calls[0] && Date.parse(calls[0].at) > t0 + 5_000);

  const problems = [...notIn('succeeded', views), ...resourcesNot(ONE_OF_EACH, state, requests)];
  if (logFull)
    problems.push(
      `the sandbox's call log was trimmed (${calls.length} calls kept): requests per run and the floor undercount`,
    );
  const ratio = makespan / floor;
  const worstRss = max(rss.map((r) => r.peakRssMb));
  const s = (ms: number) => ms / 1000;
  const scenario = 'fleet';
  return {
    name: scenario,
    settings: { clients: o.clients, ...stack.options },
    rows: [
      { scenario, figure: `makespan, ${o.clients} clients at once`, value: s(makespan), unit: 's' },
      { scenario, figure: `floor (${floorBy})`, value: s(floor), unit: 's' },
      {
        scenario,
        figure: 'makespan ÷ floor',
        value: ratio,
        unit: '×',
        target: `≤ ${FLEET_TARGET}`,
        pass: ratio <= FLEET_TARGET,
      },
      { scenario, figure: 'rate-limited answers', value: limited.total, target: '0', pass: limited.total === 0 },
      {
        scenario,
        figure: 'run time p50 / p95',
        value: `${s(median(runMs)).toFixed(1)} / ${s(percentile(runMs, 95)).toFixed(1)}`,
        unit: 's',
      },
      {
        scenario,
        figure: 'requests per run',
        value: Object.entries(perRun)
          .map(([p, n]) => `${p} ${n.toFixed(1)}`)
          .join(', '),
      },
      {
        scenario,
        figure: `peak RSS per worker (${rss.length} processes, ${stack.options.runtime === 'built' ? 'node dist/…' : 'tsx'})`,
        value: rss.map((r) => Math.round(r.peakRssMb)).join(' / '),
        unit: 'MB',
        target: `≤ ${RSS_TARGET_MB} MB`,
        pass: worstRss <= RSS_TARGET_MB,
      },
      {
        scenario,
        figure: 'Redis memory per run (own keys; INFO used_memory delta)',
        value: `${(ours.bytes / o.clients / 1024).toFixed(1)}; ${((redisAfter - redisBefore) / o.clients / 1024).toFixed(1)}`,
        unit: 'KB',
      },
    ],
    data: {
      t0: new Date(t0).toISOString(),
      postedInMs,
      makespanMs: makespan,
      floorMs: floor,
      floorBy,
      slowestCriticalPathMs: slowestPath,
      rules,
      stepMediansMs: stepMedians,
      stepMinsMs: stepMins,
      projectsFloorMs: projects.floorMs,
      supabaseProvisionMs: { min: fastestProject, max: max(provisionMs), count: provisionMs.length },
      runMs: { p50: median(runMs), p95: percentile(runMs, 95), max: max(runMs), all: runMs },
      rateLimited: limited,
      requestsPerRun: perRun,
      requestsByOperation: byOperation,
      calls: calls.length,
      // GitHub's content-creating calls: ms after the first POST, and the status answered.
      githubContentTimeline: calls
        .filter(
          (c) => c.provider === 'github' && /create-using-template|create-or-update-file-contents/.test(c.operationId),
        )
        .map((c) => [Date.parse(c.at) - t0, c.status]),
      workers: rss,
      redis: { ownKeys: ours.keys, ownBytes: ours.bytes, usedMemoryBefore: redisBefore, usedMemoryAfter: redisAfter },
      breakdown: fleetBreakdown(t0, posted, views, calls),
      rateLimitWaitMs: median(views.map((v) => v.steps.reduce((a, st) => a + (st.rateLimit?.waitedMs ?? 0), 0))),
    },
    problems,
  };
}

/** Each Supabase project's time from create to ACTIVE_HEALTHY, as the sandbox played it (ms). */
function supabaseProvisionMs(sandboxState: unknown): number[] {
  const projects = (sandboxState as { supabase?: { projects?: { created_at?: string; active_at?: string }[] } })
    .supabase?.projects;
  return (projects ?? [])
    .filter((p) => p.created_at && p.active_at)
    .map((p) => Date.parse(p.active_at!) - Date.parse(p.created_at!));
}
