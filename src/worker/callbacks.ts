import { UnrecoverableError, type Job } from 'bullmq';
import { SIGNATURE_HEADER, signCallback } from '../shared/callback-signature.js';
import type { Logger } from '../shared/logger.js';
import type { CallbackAttempt } from '../runs/callback-attempt.js';
import type { Queues } from '../runs/queues.js';
import type { RunStore } from '../runs/run-store.js';
import type { CallbackJobData, RunRecord, RunState } from '../runs/run.types.js';
import type { OutboundPolicy } from '../shared/outbound.js';
import { deliverCallback } from './callback-delivery.js';

/** How completion callbacks are sent (CALLBACK_SECRET, CALLBACK_ATTEMPTS, CALLBACK_BACKOFF_MS). */
export interface CallbackSettings {
  /** Without it no callback is sent: each run with a callbackUrl records why. */
  secret?: string;
  attempts: number;
  /** First retry delay, doubled on each attempt. */
  backoffMs: number;
}

const TIMEOUT_MS = 5000;
/** The states a run rests in; `failed` only reaches here with ROLLBACK_ON_FAILURE=manual. */
const FINAL: readonly RunState[] = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];

export interface CallbackDeps {
  store: RunStore;
  queues: Queues;
  settings: CallbackSettings;
  logger: Logger;
  /** Where a callback may go (src/shared/outbound.ts). */
  outbound: OutboundPolicy;
}

/**
 * Queues the callback of a run that has reached a final state, once: the job id is fixed by
 * the run, its final state and how many times it was retried or rolled back, so calling this
 * again (a retried finalize or rollback job) adds nothing. A run still moving is ignored.
 */
export async function enqueueCallback(deps: CallbackDeps, runId: string): Promise<void> {
  const run = await deps.store.get(runId);
  if (!run?.request.callbackUrl || !FINAL.includes(run.state)) return;
  const data: CallbackJobData = { runId, state: run.state, body: JSON.stringify(callbackBody(run)) };
  await deps.queues.callback.add('callback', data, {
    jobId: `${runId}-callback-${run.state}-g${run.generation}-r${run.rollbacks}`,
    attempts: deps.settings.attempts,
    backoff: { type: 'exponential', delay: deps.settings.backoffMs },
  });
}

/** What the receiver learns: the run's id, client, final state and error. Nothing secret, no resources. */
function callbackBody(run: RunRecord) {
  return {
    runId: run.runId,
    clientId: run.clientId,
    state: run.state,
    error: run.error ?? null,
    finishedAt: run.finishedAt ?? null,
  };
}

/**
 * One delivery attempt: the stored body, signed now, POSTed to the run's callbackUrl. Every
 * attempt is recorded on the run; anything but a 2xx throws, so BullMQ tries again with backoff.
 */
export async function processCallback(deps: CallbackDeps, job: Job<CallbackJobData>): Promise<{ status: number }> {
  const { runId, state, body } = job.data;
  const run = await deps.store.get(runId);
  const url = run?.request.callbackUrl;
  if (!run || !url) return { status: 0 };
  const log = deps.logger.child({ runId, clientId: run.clientId, jobId: job.id, attempt: job.attemptsStarted });
  const at = new Date();
  const record = (a: Omit<CallbackAttempt, 'at' | 'state'>) =>
    deps.store.addCallbackAttempt(runId, { at: at.toISOString(), state, ...a });

  const secret = deps.settings.secret;
  if (!secret) {
    const error = 'not sent: CALLBACK_SECRET is not set on the worker';
    await record({ status: 0, error });
    log.error({ event: 'callback' }, `callback ${error}`);
    throw new UnrecoverableError(error);
  }
  const headers = {
    [SIGNATURE_HEADER]: signCallback(secret, body, Math.floor(at.getTime() / 1000)),
    'X-Provisioner-Delivery': job.id ?? runId,
    'User-Agent': 'client-provisioner',
  };
  const { status, error: noAnswer, refused } = await deliverCallback(deps.outbound, url, body, headers, TIMEOUT_MS);
  const error = noAnswer ?? (status >= 200 && status < 300 ? undefined : `the receiver answered ${status}`);
  await record({ status, ...(error ? { error } : {}) });
  if (error) {
    log.warn({ event: 'callback', status }, `callback not delivered: ${error}`);
    if (refused) throw new UnrecoverableError(error);
    throw new Error(error);
  }
  log.info({ event: 'callback', status }, 'callback delivered');
  return { status };
}
