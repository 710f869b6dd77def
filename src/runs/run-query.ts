import { clientKey } from '../shared/names.js';
import type { RunStore } from './run-store.js';
import type { RunRecord, RunState } from './run.types.js';

export interface RunQuery {
  clientId?: string;
  state?: RunState;
  /** 1-based. */
  page: number;
  pageSize: number;
}

const CHUNK = 100;

/**
 * A page of runs, newest first, of one client (the client index) or of all, in one state or
 * any. Runs are not indexed by state, so a state filter reads the newest runs in chunks until
 * the page is full: fine for an operator's console over the runs Redis keeps.
 */
export async function queryRuns(
  store: RunStore,
  { clientId, state, page, pageSize }: RunQuery,
): Promise<{ runs: RunRecord[]; hasMore: boolean }> {
  const key = clientId ? clientKey(clientId) : undefined;
  const skip = (page - 1) * pageSize;
  if (!state) {
    const ids = await store.listIds(key, skip, skip + pageSize);
    const runs = await store.getAll(ids.slice(0, pageSize), key);
    return { runs, hasMore: ids.length > pageSize };
  }
  const found: RunRecord[] = [];
  let matched = 0;
  for (let start = 0; found.length <= pageSize; start += CHUNK) {
    const ids = await store.listIds(key, start, start + CHUNK - 1);
    for (const run of await store.getAll(ids, key)) {
      if (run.state !== state) continue;
      if (matched++ >= skip) found.push(run);
    }
    if (ids.length < CHUNK) break;
  }
  return { runs: found.slice(0, pageSize), hasMore: found.length > pageSize };
}
