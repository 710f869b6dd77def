import { setTimeout as sleep } from 'node:timers/promises';
import type { RunView } from '../runs/run-view.schema.js';
import type { ApiClient } from './api-client.js';
import { clock, runBlock, stepLine, summary } from './render.js';

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** States a run rests in. `failed` rests only with ROLLBACK_ON_FAILURE=manual: see `settled`. */
const ENDS: readonly RunView['state'][] = ['succeeded', 'rolled_back', 'rollback_failed'];

/**
 * Follows runs until each has ended, showing their steps' progress: on a terminal, one run is
 * redrawn in place; otherwise (a pipe, a log, several runs) each change is one line. `failed`
 * counts as the end once two polls in a row read it: with automatic rollback a run leaves it
 * within milliseconds, with manual rollback it waits there for an operator.
 */
export async function watchRuns(
  api: ApiClient,
  runIds: string[],
  out: Terminal,
  intervalMs: number,
): Promise<RunView[]> {
  const live = Boolean(out.isTTY) && runIds.length === 1;
  const shown = new Map<string, string>();
  const seenFailed = new Set<string>();
  const ended = new Map<string, RunView>();
  let drawn = 0;
  for (;;) {
    for (const runId of runIds.filter((id) => !ended.has(id))) {
      const run = await api.run(runId);
      if (live) {
        const lines = runBlock(run);
        out.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
        drawn = lines.length;
      } else {
        for (const [key, line] of changes(run))
          if (shown.get(key) !== line) {
            shown.set(key, line);
            out.write(`${clock()}  ${run.clientId}  ${line}\n`);
          }
      }
      const settled = ENDS.includes(run.state) || (run.state === 'failed' && seenFailed.has(runId));
      if (run.state === 'failed') seenFailed.add(runId);
      else seenFailed.delete(runId);
      if (settled) ended.set(runId, run);
    }
    if (ended.size === runIds.length) break;
    await sleep(intervalMs);
  }
  const runs = runIds.map((id) => ended.get(id)!);
  for (const run of runs) out.write(`${summary(run)}\n`);
  return runs;
}

/**
 * What a line-per-change log shows: the run's state, and each step's line. A step's line holds
 * its duration only once it has finished, so it changes with its state, attempts or error.
 */
function changes(run: RunView): [string, string][] {
  return [...run.steps.map((s): [string, string] => [s.name, stepLine(s)]), ['run', `run        ${run.state}`]];
}
