import type { RunView } from '../runs/run-view.schema.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import { ApiError, type ApiClient } from './api-client.js';
import { listLine, runBlock } from './render.js';
import { watchRuns, type Terminal } from './watch.js';

/**
 * The CLI's commands. Each returns the process's exit code: 0 when the run ended (or, without
 * --watch, stands) as asked, 1 when a run ended otherwise or a request was refused; 2 is left to
 * main for usage errors and an API out of reach.
 */
export interface CliContext {
  api: ApiClient;
  out: Terminal;
  /** Where progress goes: stderr with --json, so stdout holds only JSON. */
  progress: Terminal;
  json: boolean;
  watch: boolean;
  intervalMs: number;
}

const OK = 0;
const NOT_AS_ASKED = 1;
/** States in which a run is still on its way, whatever its outcome will be. */
const MOVING: readonly RunView['state'][] = ['queued', 'running', 'rolling_back'];

const print = (ctx: CliContext, value: unknown, text: () => string[]) =>
  ctx.out.write(ctx.json ? `${JSON.stringify(value, null, 2)}\n` : `${text().join('\n')}\n`);

/** Follows the runs when --watch is on; 0 only when every one ends in `goal`. */
async function follow(ctx: CliContext, runIds: string[], goal: RunView['state']): Promise<number> {
  if (!ctx.watch || !runIds.length) return OK;
  const runs = await watchRuns(ctx.api, runIds, ctx.progress, ctx.intervalMs);
  if (ctx.json) print(ctx, runs, () => []);
  return runs.every((r) => r.state === goal) ? OK : NOT_AS_ASKED;
}

export async function provision(ctx: CliContext, requests: ProvisionRequest[]): Promise<number> {
  const accepted: { clientId: string; runId?: string; existing?: boolean; error?: string }[] = [];
  for (const request of requests) {
    try {
      const a = await ctx.api.provision(request);
      accepted.push({ clientId: request.clientId, runId: a.runId, existing: a.existing });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 0) throw e;
      accepted.push({ clientId: request.clientId, error: `${e.code ?? e.status}: ${e.message}` });
    }
  }
  const lines = accepted.map((a) =>
    a.runId
      ? `${a.clientId}  ${a.runId}  ${a.existing ? 'already in flight' : 'queued'}`
      : `${a.clientId}  refused  ${a.error}`,
  );
  if (ctx.json && !ctx.watch) print(ctx, accepted, () => []);
  else ctx.progress.write(`${lines.join('\n')}\n`);
  const refused = accepted.some((a) => a.error);
  const followed = await follow(
    ctx,
    accepted.flatMap((a) => (a.runId ? [a.runId] : [])),
    'succeeded',
  );
  return refused ? NOT_AS_ASKED : followed;
}

export async function status(ctx: CliContext, runId: string): Promise<number> {
  const run = await ctx.api.run(runId);
  print(ctx, run, () => runBlock(run));
  return run.state === 'succeeded' || MOVING.includes(run.state) ? OK : NOT_AS_ASKED;
}

export async function watch(ctx: CliContext, runId: string): Promise<number> {
  return follow({ ...ctx, watch: true }, [runId], 'succeeded');
}

export async function list(ctx: CliContext, query: { clientId?: string; limit?: number }): Promise<number> {
  const { runs } = await ctx.api.list(query);
  print(ctx, runs, () => (runs.length ? runs.map(listLine) : ['no runs']));
  return OK;
}

/** retry: the run should end `succeeded`; rollback: `rolled_back`. */
export async function act(ctx: CliContext, runId: string, action: 'retry' | 'rollback'): Promise<number> {
  const moved = await ctx.api.act(runId, action);
  if (ctx.json && !ctx.watch) print(ctx, moved, () => []);
  else ctx.progress.write(`run ${moved.runId}: ${action} accepted, now ${moved.state}\n`);
  return follow(ctx, [runId], action === 'retry' ? 'succeeded' : 'rolled_back');
}
