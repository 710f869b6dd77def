import type { Redis } from 'ioredis';
import { STEP_NAMES, type StepName } from '../steps/step-graph.js';
import type { ProvisionRequest } from '../shared/provision-request.js';
import { publishRunEvent, type RunEvent } from './run-events.js';
import type { CompensationRecord, RunError, RunRecord, RunState, RunTransition, SettledStep } from './run.types.js';
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
return {'created', ARGV[1]}
`;

const TRANSITION = `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {0, '', 0} end
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == st then
    local n = 0
    if ARGV[3] ~= '' then n = redis.call('HINCRBY', KEYS[1], ARGV[3], 1) end
    redis.call('HSET', KEYS[1], 'state', ARGV[2], unpack(ARGV, 6))
    local h = redis.call('HINCRBY', KEYS[1], 'history', 1)
    redis.call('HSET', KEYS[1], 'history:' .. h, cjson.encode({at = ARGV[4], from = st, to = ARGV[2], by = ARGV[5]}))
    return {1, st, n}
  end
end
return {0, st, 0}
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

export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Who the history names for changes made without a `by`: `worker` in the worker, else `system`. */
    private readonly actor: string = 'system',
  ) {}

  private runKey = (runId: string) => `${this.prefix}:run:${runId}`;
  private clientKey = (key: string) => `${this.prefix}:client:${key}`;
  private clientRunsKey = (key: string) => `${this.prefix}:client-runs:${key}`;
  private allRunsKey = () => `${this.prefix}:runs`;

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
      4,
      this.clientKey(clientKey),
      this.runKey(runId),
      this.clientRunsKey(clientKey),
      this.allRunsKey(),
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
    const at = new Date().toISOString();
    const fields: string[] = ['updatedAt', at];
    if (patch.error !== undefined) fields.push('error', patch.error === null ? '' : JSON.stringify(patch.error));
    if (patch.startedAt) fields.push('startedAt', patch.startedAt);
    if (patch.finishedAt) fields.push('finishedAt', patch.finishedAt);
    const [ok, previous, counter] = (await this.redis.eval(
      TRANSITION,
      1,
      this.runKey(runId),
      from.join(','),
      to,
      increment ?? '',
      at,
      patch.by ?? this.actor,
      ...fields,
    )) as [number, string, number];
    if (ok === 1) await this.announce({ type: 'run', runId, state: to });
    return { ok: ok === 1, previous: (previous || undefined) as RunState | undefined, counter };
  }

  async setStepJobs(runId: string, jobs: Partial<Record<StepName, string>>): Promise<void> {
    const fields = Object.entries(jobs).flatMap(([step, id]) => [`job:${step}`, id]);
    if (fields.length) await this.redis.hset(this.runKey(runId), ...fields);
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
    const ids = await this.listIds(clientKey, 0, limit - 1);
    const runs = await Promise.all(ids.map((id) => this.get(id)));
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
  const compensations: RunRecord['compensations'] = {};
  for (const step of STEP_NAMES) {
    const job = h[`job:${step}`];
    if (job) stepJobs[step] = job;
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
