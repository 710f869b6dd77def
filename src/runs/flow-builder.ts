import type { FlowJob } from 'bullmq';
import { STEP_GRAPH, sinkSteps, stepNode, type StepName } from '../steps/step-graph.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import { PROVISION_QUEUE, retentionOptions, type JobRetention } from './queues.js';
import type { FinalizeJobData, StepJobData } from './run.types.js';

export interface FlowOptions {
  stepAttempts: number;
  stepBackoffMs: number;
  /** When finished jobs of the flow are removed (none: kept). */
  retention?: JobRetention;
}

/** What a step carries over from an earlier generation: its checkpoint and attempts spent. */
export type Carried = Pick<StepJobData, 'resources' | 'sealed' | 'priorAttempts'>;

/**
 * BullMQ runs jobs without a priority before prioritized ones: a new run's first steps
 * (the creates that start a client) carry one, so the work of runs already in flight
 * (their later steps, their finalize) and retries go first, and the median client of a
 * burst is not held behind the whole burst. Rollbacks have a queue and workers of their own.
 */
export const NEW_RUN_PRIORITY = 10;

/**
 * Among a new run's first steps, `github` goes first: GitHub's content-creation limits (80 a
 * minute, 500 an hour, SPEC 7) are what bounds a fleet, and its hour window replays the spread of
 * the first 500 requests an hour later. Behind steps that hold their worker slot while a Supabase
 * project comes up, those requests spread out over minutes (a 500-client fleet measured 381 s
 * against a floor of 199 s); ahead of them, they go at the limit's pace. The others follow at once.
 */
const FIRST_STEP_PRIORITY: Partial<Record<StepName, number>> = { github: NEW_RUN_PRIORITY };
const firstStepPriority = (step: StepName) => FIRST_STEP_PRIORITY[step] ?? NEW_RUN_PRIORITY + 10;

export const stepJobId = (runId: string, generation: number, step: StepName | 'finalize') =>
  `${runId}-g${generation}-${step}`;
export const rollbackJobId = (runId: string, rollback: number) => `${runId}-rollback-${rollback}`;

/** The run a job belongs to: every job id of a run starts with the run's id (a UUID). */
export const runIdOfJobId = (jobId: string): string | undefined =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=-)/i.exec(jobId)?.[0];

/**
 * A job's name, for people reading the queue in Bull Board: what it does and for which
 * client (`vercel · acme`). The worker dispatches on the job's data, never on its name.
 */
export const jobName = (what: string, clientId: string) => `${what} · ${clientId}`;

/**
 * The run's BullMQ flow, derived from the step graph: a `finalize` root over the steps
 * no other step needs; each step's children are the steps it needs. Every node has a
 * fixed id, so adding the same flow twice is a no-op. Steps carry
 * `ignoreDependencyOnFailure`, so each parent runs only once all its children have
 * stopped, and `finalize` runs exactly once, after everything below it has stopped.
 *
 * `include` limits the tree to the steps still to do (a retry); a step left out has
 * already succeeded and its output is read from its earlier job.
 */
export function buildFlow(
  runId: string,
  generation: number,
  request: ProvisionRequest,
  options: FlowOptions,
  include: ReadonlySet<StepName> = new Set(STEP_GRAPH.map((s) => s.name)),
  carried: Partial<Record<StepName, Carried>> = {},
): FlowJob {
  const node = (step: StepName): FlowJob[] => {
    const children = (stepNode(step).needs as readonly StepName[]).flatMap(node);
    if (!include.has(step)) return children;
    const data: StepJobData = { runId, step, generation, request, ...carried[step] };
    return [
      {
        name: jobName(step, request.clientId),
        queueName: PROVISION_QUEUE,
        data,
        opts: {
          jobId: stepJobId(runId, generation, step),
          ignoreDependencyOnFailure: true,
          // The reason says what failed, in words; the processor's stack would only point at itself.
          stackTraceLimit: 0,
          attempts: options.stepAttempts,
          backoff: { type: 'provider', delay: options.stepBackoffMs },
          ...(generation === 1 && stepNode(step).needs.length === 0 ? { priority: firstStepPriority(step) } : {}),
          ...retentionOptions(options.retention),
        },
        ...(children.length ? { children } : {}),
      },
    ];
  };
  const finalizeData: FinalizeJobData = { runId, generation, clientId: request.clientId };
  return {
    name: jobName('finalize', request.clientId),
    queueName: PROVISION_QUEUE,
    data: finalizeData,
    opts: {
      jobId: stepJobId(runId, generation, 'finalize'),
      attempts: 10,
      backoff: { type: 'exponential', delay: 1000 },
      ...retentionOptions(options.retention),
    },
    children: sinkSteps().flatMap(node),
  };
}

/** The job ids a flow built with `include` holds. */
export function flowStepJobs(
  runId: string,
  generation: number,
  include: Iterable<StepName>,
): Partial<Record<StepName, string>> {
  return Object.fromEntries([...include].map((s) => [s, stepJobId(runId, generation, s)]));
}
