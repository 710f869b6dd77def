import type { Sealer } from '../shared/crypto.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import { RunStore } from './run-store.js';
import type { Queues } from './queues.js';
import { sealContext } from './step-context.js';

/**
 * Re-seals, under the newest key, every sealed secret Redis holds: the `sealed` map of each
 * step record in each run record, and in each step job's data and return value (the only
 * places secrets are kept). Each field is written back with a compare-and-set, so a worker
 * updating the same run or job meanwhile is never overwritten (the field is read again and
 * re-sealed). With `dryRun` it only counts.
 */
export interface ResealReport {
  jobs: number;
  runs: number;
  /** Values moved to the newest key (or, in a dry run, that would be). */
  resealed: number;
  /** Values already under the newest key. */
  current: number;
  /** Values no key opens: `jobId field.name`. */
  unreadable: string[];
}

const CAS = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
`;

const STATES = ['completed', 'failed', 'active', 'waiting', 'waiting-children', 'delayed', 'prioritized', 'paused'];
const PAGE = 500;

export async function resealStored(
  queues: Queues,
  sealer: Sealer,
  options: { dryRun?: boolean } = {},
): Promise<ResealReport> {
  const report: ResealReport = { jobs: 0, runs: 0, resealed: 0, current: 0, unreadable: [] };
  const store = new RunStore(queues.connection, queues.prefix);
  for (const runId of await store.listIds(undefined, 0, -1)) {
    report.runs += 1;
    for (const step of STEP_NAMES)
      await resealField(queues, sealer, store.keyOf(runId), `step:${step}`, async () => ({ runId, step }), report, {
        ...options,
        label: `run ${runId}`,
      });
  }
  const seen = new Set<string>();
  for (let start = 0; ; start += PAGE) {
    const page = await queues.provision.getJobs(STATES as never, start, start + PAGE - 1, true);
    if (!page.length) break;
    for (const job of page) {
      if (!job?.id || seen.has(job.id)) continue;
      seen.add(job.id);
      report.jobs += 1;
      const key = queues.provision.toKey(job.id);
      const data = async () => JSON.parse((await queues.connection.hget(key, 'data')) ?? '{}') as Holder;
      for (const field of ['data', 'returnvalue'] as const)
        await resealField(queues, sealer, key, field, data, report, { ...options, label: `job ${job.id}` });
    }
  }
  return report;
}

interface Holder {
  runId?: string;
  step?: StepName;
  sealed?: Record<string, string>;
}

/**
 * Re-seals the `sealed` map of one JSON hash field; `ownerOf` says whose secrets they are (the run
 * and step bound into each value), when the field itself does not.
 */
async function resealField(
  queues: Queues,
  sealer: Sealer,
  key: string,
  field: string,
  ownerOf: () => Promise<Holder>,
  report: ResealReport,
  options: { dryRun?: boolean; label: string },
): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const raw = await queues.connection.hget(key, field);
    if (!raw) return;
    const value = JSON.parse(raw) as Holder | null;
    const owner = value?.runId && value.step ? value : await ownerOf();
    if (!value?.sealed || !owner?.runId || !owner.step) return;
    const pass: ResealReport = { jobs: 0, runs: 0, resealed: 0, current: 0, unreadable: [] };
    const sealed = { ...value.sealed };
    for (const [name, v] of Object.entries(sealed)) {
      if (sealer.keyIdOf(v) === sealer.keyId) {
        pass.current += 1;
        continue;
      }
      const context = sealContext(owner.runId, owner.step, name);
      try {
        sealed[name] = sealer.seal(sealer.open(v, context), context);
        pass.resealed += 1;
      } catch {
        pass.unreadable.push(`${options.label} ${field}.${name}`);
      }
    }
    // Written back only if nobody changed the field meanwhile (a worker recording progress): else again.
    const settled =
      pass.resealed === 0 ||
      options.dryRun ||
      (await queues.connection.eval(CAS, 1, key, field, raw, JSON.stringify({ ...value, sealed }))) === 1;
    if (settled) {
      report.resealed += pass.resealed;
      report.current += pass.current;
      report.unreadable.push(...pass.unreadable);
      return;
    }
  }
  throw new Error(`${options.label} kept changing while being re-sealed; run the command again`);
}
