import type { ErrorView } from '../shared/errors.js';
import type { CallbackAttempt } from './callback-attempt.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import type { Resources, StepName } from '../steps/step.types.js';

export const RUN_STATES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'rolling_back',
  'rolled_back',
  'rollback_failed',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const STEP_STATES = [
  'pending',
  'running',
  'succeeded',
  'skipped',
  'failed',
  'compensated',
  'compensation_failed',
] as const;
export type StepState = (typeof STEP_STATES)[number];

/** States in which a run still holds its client: a new POST answers with this run. */
export const IN_FLIGHT: readonly RunState[] = ['queued', 'running', 'failed', 'rolling_back'];

export interface RunError extends ErrorView {
  step?: StepName;
}

export interface CompensationRecord {
  state: 'compensated' | 'compensation_failed';
  outcome?: 'deleted' | 'not_found' | 'undone_with_parent';
  attempts: number;
  error?: ErrorView;
  /** What is still left at the provider when compensation failed. */
  left?: Resources;
  /** When the rollback began this compensation (absent on records written before it was kept). */
  startedAt?: string;
  finishedAt: string;
}

/**
 * A step as it stood when the run left `queued`/`running` (written by `finalize`), so that what
 * an operator does to the job afterwards in Bull Board (retry, clean) does not change the run's
 * story. `view` is the run view's StepView; `jobId` says which job it describes.
 */
export interface SettledStep {
  jobId: string;
  view: unknown;
  resources?: Resources;
}

/**
 * A step as the run record keeps it: the system of record. Written by the step's current job
 * (compare-and-set on the run's job id for the step) when it gets past its checks, when it
 * records what it created, and when it ends; read by finalize, retry, rollback and the run view,
 * so none of them depends on the step's BullMQ job still existing (jobs are removed by age and count).
 */
export interface StepRecord {
  /** The job that wrote it last: the run's job for the step when it was written. */
  jobId: string;
  state: 'running' | 'succeeded' | 'skipped' | 'failed';
  /** Present once the step got past its checks: from then on it may have created something. */
  resources?: Resources;
  /** Its secrets, sealed (never in clear in Redis). */
  sealed?: Record<string, string>;
  /** Attempts spent, across generations; a rate-limit wait is not one. */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** The last failed attempt's error. */
  error?: ErrorView;
}

/** A failed attempt of a step job, as the step processor recorded it in the job's data. */
export interface AttemptFailure extends ErrorView {
  attempt: number;
  startedAt?: string;
  failedAt: string;
}

export interface RunRecord {
  runId: string;
  clientId: string;
  clientKey: string;
  state: RunState;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  request: ProvisionRequest;
  error?: RunError;
  /** How many times the flow was (re)built: 1, then +1 per retry. */
  generation: number;
  /** The BullMQ job id holding each step's latest attempt. */
  stepJobs: Partial<Record<StepName, string>>;
  /** Each step's outcome, resources and sealed secrets (see StepRecord). */
  steps: Partial<Record<StepName, StepRecord>>;
  rollbacks: number;
  compensations: Partial<Record<StepName, CompensationRecord>>;
  /** The steps as they stood when the run settled (see SettledStep). */
  settled?: Partial<Record<StepName, SettledStep>>;
  /** Every change of state, oldest first, append-only. */
  history: RunTransition[];
  /** Delivery attempts of the completion callback, oldest first. */
  callbacks: CallbackAttempt[];
}

/** One change of a run's state: when, from what (null: created), to what, and who made it. */
export interface RunTransition {
  at: string;
  from: RunState | null;
  to: RunState;
  /** The API token's name for API actions; `worker` or `system` otherwise. */
  by: string;
}

/** Data of a step job: ids only, and what the step recorded (secrets sealed). */
export interface StepJobData {
  runId: string;
  step: StepName;
  generation: number;
  request: ProvisionRequest;
  resources?: Resources;
  sealed?: Record<string, string>;
  /** Attempts spent on this step in earlier generations. */
  priorAttempts?: number;
  /** When the step first got past its checks (ISO); set once. */
  startedAt?: string;
  /** The error of the latest failed attempt: its code survives Redis here, not in the reason's text. */
  error?: ErrorView;
  /** Every failed attempt of this job, oldest first (the last 20). */
  failedAttempts?: AttemptFailure[];
  /** Its waits for providers' rate limits: none of them spent an attempt. */
  rateLimit?: RateLimitWait;
}

export interface RateLimitWait {
  /** Set while the job is set aside until a provider's window reopens (ISO). */
  waitingUntil?: string;
  /** The provider whose limit it waits on. */
  provider?: string;
  /** How long it was set aside in all. */
  waitedMs: number;
  /** How many times: each restarts the job without counting an attempt. */
  delays: number;
}

/** Attempts a step spent, across generations; a rate-limit wait is not one. */
export function attemptsOf(job: {
  data: Pick<StepJobData, 'priorAttempts' | 'rateLimit'>;
  attemptsStarted?: number;
  attemptsMade: number;
}): number {
  return (job.data.priorAttempts ?? 0) + (job.attemptsStarted ?? job.attemptsMade) - (job.data.rateLimit?.delays ?? 0);
}

export interface FinalizeJobData {
  runId: string;
  generation: number;
  /** For people reading the queue (Bull Board); nothing reads it. */
  clientId?: string;
}

export interface RollbackJobData {
  runId: string;
  rollback: number;
  /** For people reading the queue (Bull Board); nothing reads it. */
  clientId?: string;
}

/** A completion callback to send: the body is fixed when the run became final, so every attempt sends the same bytes. */
export interface CallbackJobData {
  runId: string;
  state: RunState;
  body: string;
}

/** What a step job returns: the same as it recorded, sealed. */
export interface StepJobResult {
  outcome: 'created' | 'skipped';
  resources: Resources;
  sealed: Record<string, string>;
}
