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
  finishedAt: string;
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
  rollbacks: number;
  compensations: Partial<Record<StepName, CompensationRecord>>;
  /** Delivery attempts of the completion callback, oldest first. */
  callbacks: CallbackAttempt[];
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
}

export interface FinalizeJobData {
  runId: string;
  generation: number;
}

export interface RollbackJobData {
  runId: string;
  rollback: number;
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
