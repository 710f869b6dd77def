import type { RunView, StepView } from '../../runs/run-view.js';
import type { ConsoleAction } from './console-paths.js';

/**
 * The run view as the console reads it: the JSON API's own view (runs/run-view.ts), plus the
 * fields other parts of the product add to it when they are there: per-step rate-limit waits
 * and the run's history of transitions. The console shows them when present.
 */
export type ConsoleStep = StepView & { rateLimitWaitMs?: number; waitingUntil?: string };

export interface HistoryEntry {
  at: string;
  from?: string | null;
  to: string;
  by?: string | null;
}

export type ConsoleRun = Omit<RunView, 'steps'> & { steps: ConsoleStep[]; history?: HistoryEntry[] };

export const IN_FLIGHT_STATES: readonly string[] = ['queued', 'running', 'rolling_back'];

/** What an admin may do to a run in this state; the run commands check it again, atomically. */
export function actionsFor(state: string): ConsoleAction[] {
  if (state === 'failed') return ['retry', 'rollback'];
  if (state === 'rollback_failed') return ['rollback'];
  if (state === 'succeeded') return ['teardown'];
  return [];
}

export const ACTION_TEXT: Record<ConsoleAction, { label: string; done: string; what: string }> = {
  retry: {
    label: 'Retry from the failed step',
    done: 'Retry started: the steps that did not succeed run again.',
    what: 'The steps that did not succeed run again in a new flow; the ones that succeeded are kept and not run again.',
  },
  rollback: {
    label: 'Roll back',
    done: 'Rollback started.',
    what: 'Every resource the run created is deleted, in reverse order (backup, n8n, vercel, github, supabase). The client can be provisioned again afterwards.',
  },
  teardown: {
    label: 'Tear down',
    done: 'Tear-down started.',
    what: "The client's whole stack is deleted: the Supabase project and its database, the GitHub repository, the Vercel project, the n8n workflow and its backup. This cannot be undone.",
  },
};
