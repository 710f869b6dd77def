import type { RedisClient } from '../shared/redis.js';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import { publishRunEvent, type RunEvent } from './run-events.js';
import type {
  CompensationRecord,
  RunError,
  RunRecord,
  RunState,
  RunTransition,
  SettledStep,
  StepRecord,
} from './run.types.js';
import type { CallbackAttempt } from './callback-attempt.js';

/**
 * The run record: one Redis hash per run (state, times, the step job ids, the
 * compensations), an index from client to its current run, and a per-client list.
 * Every state change is a compare-and-set in one Lua script, so two processes
 * can never both move a run (two rollbacks, a retry racing a rollback); the same
 * script appends the change to the run's history (`history:<n>` fields), saying who made it.
 */
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local st = redis.call('HGET', ARGV[2] .. cur, 'state')
  if st == 'queued' or st == 'running' or st == 'failed' or st == 'rolling_back' then return {'in_flight', cur} end
  if st == 'succeeded' then return {'provisioned', cur} end
  if st == 'rollback_failed' then return {'needs_attention', cur} end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return {'created', ARGV[1]}
`;

/**
 * KEYS: the run, the index of runs in a transitional state (scored by when they last changed,
 * what the reconciler reads). ARGV: from (comma-separated), to, counter to increment, at, by,
 * milliseconds the run is kept once it reached `to` (0: for ever), now in ms, then field/value pairs.
 */
const TRANSITION = `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {0, '', 0} end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == st then
    local n = 0
    if ARGV[3] ~= '' then n = redis.call('HINCRBY', KEYS[1], ARGV[3], 1) end
    redis.call('HSET', KEYS[1], 'state', ARGV[2], unpack(ARGV, 8))
    local h = redis.call('HINCRBY', KEYS[1], 'history', 1)
    redis.call('HSET', KEYS[1], 'history:' .. h, cjson.encode({at = ARGV[4], from = st, to = ARGV[2], by = ARGV[5]}))
    local runId = redis.call('HGET', KEYS[1], 'runId')
    local to = ARGV[2]
    if to == 'queued' or to == 'running' or to == 'failed' or to == 'rolling_back' then
      redis.call('ZADD', KEYS[2], ARGV[7], runId)
    else
      redis.call('ZREM', KEYS[2], runId)
    end
    if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) else redis.call('PERSIST', KEYS[1]) end
    return {1, st, n}
  end
end
return {0, st, 0}
`;

/**
 * Writes a step's record (StepRecord) only if the job writing it is still the run's job for the
 * step (a job of an older generation, or one the run has moved past, writes nothing: 0), and,
 * when a lock is given, only while the writer still holds the job's lock (-1 otherwise: a worker
 * that stalled and resumed must not overwrite what the worker that took its job over recorded).
 * KEYS: the run, the job's lock key (or the run again, unused). ARGV: step, job id, record (JSON), updatedAt, lock token or ''.
 */
const SET_STEP = `
if redis.call('HGET', KEYS[1], 'job:' .. ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[5] then return -1 end
redis.call('HSET', KEYS[1], 'step:' .. ARGV[1], ARGV[3], 'updatedAt', ARGV[4])
return 1
`;

/** Appends to the run's callback attempts (`cb:<n>` fields), only while the run exists. */
const ADD_CALLBACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'callbackAttempts', 1)
redis.call('HSET', KEYS[1], 'cb:' .. n, ARGV[1])
return n
`;

export type ClaimResult = { kind: 'created' | 'in_flight' | 'provisioned' | 'needs_attention'; runId: string };

export interface TransitionResult {
  ok: boolean;
  previous: RunState | undefined;
  /** The new value of the incremented counter, when one was asked for. */
  counter: number;
}

export interface RunStoreOptions {
  /**
   * How long a run is kept once it reached a final state in which the client holds nothing
   * (`rolled_back`); 0 keeps it for ever. A provisioned client's run (`succeeded`), and every
   * run still asking for attention (`failed`, `rollback_failed`), stay until they move on.
   */
  finishedRunTtlMs?: number;
}

/** Final states in which the client holds nothing at the providers: their runs expire. */
const EXPIRING: ReadonlySet<RunState> = new Set(['rolled_back']);

export class RunStore {
  private readonly finishedRunTtlMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** Who the history names for changes made without a `by`: `worker` in the worker, else `system`. */
    private readonly actor: string = 'system',
    options: RunStoreOptions = {},
  ) {
    this.finishedRunTtlMs = options.finishedRunTtlMs ?? 0;
  }

  /** The run's hash (its record). */
  keyOf = (runId: string) => `${this.prefix}:run:${runId}`;
  private runKey = this.keyOf;
  private clientKey = (key: string) => `${this.prefix}:client:${key}`;
  private clientRunsKey = (key: string) => `${this.prefix}:client-runs:${key}`;
  private allRunsKey = () => `${this.prefix}:runs`;
  /** Runs in a transitional state, scored by when they last changed state (the reconciler's worklist). */
  private activeRunsKey = () => `${this.prefix}:active-runs`;

  /** Creates the run unless the client already has one in flight, provisioned, or needing attention. */
  async claim(
    runId: string,
    clientKey: string,
    request: ProvisionRequest,
    now = new Date(),
    by = this.actor,
  ): Promise<ClaimResult> {
    const iso = now.toISOString();
    const created: RunTransition = { at: iso, from: null, to: 'queued', by };
    const fields: Record<string, string> = {
      runId,
      clientId: request.clientId,
      clientKey,
      state: 'queued',
      createdAt: iso,
      updatedAt: iso,
      request: JSON.stringify(request),
      generation: '1',
      rollbacks: '0',
      history: '1',
      'history:1': JSON.stringify(created),
    };
    const [kind, id] = (await this.redis.eval(
      CLAIM,
      5,
      this.clientKey(clientKey),
      this.runKey(runId),
      this.clientRunsKey(clientKey),
      this.allRunsKey(),
      this.activeRunsKey(),
      runId,
      `${this.prefix}:run:`,
      String(now.getTime()),
      ...Object.entries(fields).flat(),
    )) as [ClaimResult['kind'], string];
    if (kind === 'created') await this.announce({ type: 'run', runId, state: 'queued' });
    return { kind, runId: id };
  }

  /** Moves the run to `to` if it is in one of `from`; optionally increments a counter field. */
  async transition(
    runId: string,
    from: readonly RunState[],
    to: RunState,
    patch: { error?: RunError | null; startedAt?: string; finishedAt?: string; generation?: number; by?: string } = {},
    increment?: 'generation' | 'rollbacks',
  ): Promise<TransitionResult> {
    const now = new Date();
    const at = now.toISOString();
    const fields: string[] = ['updatedAt', at];
    if (patch.error !== undefined) fields.push('error', patch.error === null ? '' : JSON.stringify(patch.error));
    if (patch.startedAt) fields.push('startedAt', patch.startedAt);
    if (patch.finishedAt) fields.push('finishedAt', patch.finishedAt);
    const [ok, previous, counter] = (await this.redis.eval(
      TRANSITION,
      2,
      this.runKey(runId),
      this.activeRunsKey(),
      from.join(','),
      to,
      increment ?? '',
      at,
      patch.by ?? this.actor,
      String(EXPIRING.has(to) ? this.finishedRunTtlMs : 0),
      String(now.getTime()),
      ...fields,
    )) as [number, string, number];
    if (ok === 1) await this.announce({ type: 'run', runId, state: to });
    return { ok: ok === 1, previous: (previous || undefined) as RunState | undefined, counter };
  }

  async setStepJobs(runId: string, jobs: Partial<Record<StepName, string>>): Promise<void> {
    const fields = Object.entries(jobs).flatMap(([step, id]) => [`job:${step}`, id]);
    if (fields.length) await this.redis.hset(this.runKey(runId), ...fields);
  }

  /**
   * Writes a step's record if `record.jobId` is still the run's job for the step and, with a
   * `lock`, the writer still holds the job's lock (compare-and-set); else writes nothing and says why.
   */
  async setStep(
    runId: string,
    step: StepName,
    record: StepRecord,
    lock?: { key: string; token: string },
  ): Promise<'written' | 'moved_on' | 'lock_lost'> {
    const written = await this.redis.eval(
      SET_STEP,
      2,
      this.runKey(runId),
      lock?.key ?? this.runKey(runId),
      step,
      record.jobId,
      JSON.stringify(record),
      new Date().toISOString(),
      lock?.token ?? '',
    );
    if (written === 1) await this.announce({ type: 'step', runId });
    return written === 1 ? 'written' : written === -1 ? 'lock_lost' : 'moved_on';
  }

  /** Runs in a transitional state that have not changed state since `before` (ms), oldest first. */
  async quietActiveRuns(before: number, offset: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.activeRunsKey(), 0, before, 'LIMIT', offset, limit);
  }

  /** Drops an id from the transitional index (its run is gone). */
  async forgetActive(runId: string): Promise<void> {
    await this.redis.zrem(this.activeRunsKey(), runId);
  }

  async setCompensation(runId: string, step: StepName, record: CompensationRecord): Promise<void> {
    await this.redis.hset(
      this.runKey(runId),
      `comp:${step}`,
      JSON.stringify(record),
      'updatedAt',
      new Date().toISOString(),
    );
    await this.announce({ type: 'step', runId });
  }

  /** Keeps the steps as they stood when the run settled (see SettledStep). */
  async setSettled(runId: string, settled: Partial<Record<StepName, SettledStep>>): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'settled', JSON.stringify(settled));
  }

  /** Tells the run console (and anyone subscribed) that a run changed; losing one only delays a page. */
  private announce(event: RunEvent): Promise<void> {
    return publishRunEvent(this.redis, this.prefix, event).catch(() => undefined);
  }

  async clearCompensations(runId: string): Promise<void> {
    await this.redis.hdel(this.runKey(runId), ...STEP_NAMES.map((s) => `comp:${s}`));
  }

  async addCallbackAttempt(runId: string, attempt: CallbackAttempt): Promise<void> {
    await this.redis.eval(ADD_CALLBACK, 1, this.runKey(runId), JSON.stringify(attempt));
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const h = await this.redis.hgetall(this.runKey(runId));
    return h.runId ? toRecord(h) : undefined;
  }

  /** Runs of a client (or of all clients), newest first. */
  async list(clientKey: string | undefined, limit = 50): Promise<RunRecord[]> {
    return this.getAll(await this.listIds(clientKey, 0, limit - 1), clientKey);
  }

  /**
   * The runs of ids read from a list (of a client, or of all), in order; the ids of runs that
   * expired (see RunStoreOptions) are dropped from that list on the way.
   */
  async getAll(ids: readonly string[], clientKey: string | undefined): Promise<RunRecord[]> {
    const runs = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => runs[i] === undefined);
    if (gone.length) {
      const key = clientKey === undefined ? this.allRunsKey() : this.clientRunsKey(clientKey);
      await this.redis.zrem(key, ...gone);
    }
    return runs.filter((r): r is RunRecord => r !== undefined);
  }

  /** Run ids of a client (or of all clients), newest first, from rank `start` to `stop` inclusive. */
  async listIds(clientKey: string | undefined, start: number, stop: number): Promise<string[]> {
    const key = clientKey === undefined ? this.allRunsKey() : this.clientRunsKey(clientKey);
    return this.redis.zrevrange(key, start, stop);
  }
}

function toRecord(h: Record<string, string>): RunRecord {
  const stepJobs: RunRecord['stepJobs'] = {};
  const steps: RunRecord['steps'] = {};
  const compensations: RunRecord['compensations'] = {};
  for (const step of STEP_NAMES) {
    const job = h[`job:${step}`];
    if (job) stepJobs[step] = job;
    const record = h[`step:${step}`];
    if (record) steps[step] = JSON.parse(record) as StepRecord;
    const comp = h[`comp:${step}`];
    if (comp) compensations[step] = JSON.parse(comp) as CompensationRecord;
  }
  const callbacks: CallbackAttempt[] = [];
  for (let n = 1; n <= Number(h.callbackAttempts ?? 0); n++) {
    const attempt = h[`cb:${n}`];
    if (attempt) callbacks.push(JSON.parse(attempt) as CallbackAttempt);
  }
  return {
    runId: h.runId!,
    clientId: h.clientId!,
    clientKey: h.clientKey!,
    state: h.state as RunState,
    createdAt: h.createdAt!,
    updatedAt: h.updatedAt!,
    ...(h.startedAt ? { startedAt: h.startedAt } : {}),
    ...(h.finishedAt ? { finishedAt: h.finishedAt } : {}),
    request: JSON.parse(h.request!) as ProvisionRequest,
    ...(h.error ? { error: JSON.parse(h.error) as RunError } : {}),
    generation: Number(h.generation ?? 1),
    stepJobs,
    steps,
    rollbacks: Number(h.rollbacks ?? 0),
    compensations,
    ...(h.settled ? { settled: JSON.parse(h.settled) as RunRecord['settled'] } : {}),
    history: readHistory(h),
    callbacks,
  };
}

/** The run's transitions, oldest first (runs recorded before the history have none). */
function readHistory(h: Record<string, string>): RunTransition[] {
  const out: RunTransition[] = [];
  for (let i = 1; i <= Number(h.history ?? 0); i++) {
    const raw = h[`history:${i}`];
    if (!raw) continue;
    const e = JSON.parse(raw) as Partial<RunTransition>;
    out.push({
      at: String(e.at),
      from: (e.from as RunState | undefined) ?? null,
      to: e.to as RunState,
      by: String(e.by),
    });
  }
  return out;
}
