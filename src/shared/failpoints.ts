/**
 * Failpoints: named seams in a run's life where a test can make the process die, to prove that
 * every run still reaches a true final state whatever dies where (in the spirit of etcd's gofail
 * and FoundationDB's BUGGIFY). Armed only from the FAILPOINTS setting, which production refuses;
 * disarmed, a failpoint is one comparison.
 */
export const FAILPOINT_NAMES = [
  /** Between a run's claim and the enqueue of its flow (API). */
  'run.after-claim',
  /** Between a state change and the enqueue that follows it (retry, rollback). */
  'run.after-transition',
  /** Right before a step's create, before its lock is checked (src/runs/step-ledger.ts fence). */
  'step.before-create',
  /** After a step's provider call returned what it created, before it is recorded. */
  'step.before-record',
  /** After a step recorded its last resources, before it records its success. */
  'step.before-success',
  /** In finalize, between writing `failed` and starting the rollback. */
  'finalize.after-failed',
  /** In the rollback, after a compensation ran, before its outcome is recorded. */
  'rollback.after-compensation',
  /** In the rollback, after every outcome is recorded, before the final state. */
  'rollback.before-final',
] as const;
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/**
 * What an armed failpoint does: `kill` dies at once without cleaning up (SIGKILL); `pause` stops
 * the whole process (SIGSTOP) until something sends it SIGCONT, as a stalled VM or a long GC
 * pause would, so a test can let another worker take its jobs over and then resume it.
 */
export type FailpointAction = 'kill' | 'pause';
export const FAILPOINT_ACTIONS: readonly FailpointAction[] = ['kill', 'pause'];
export interface Failpoint {
  name: FailpointName;
  action: FailpointAction;
}

let armed: ReadonlyMap<FailpointName, FailpointAction> | undefined;

/** Arms these failpoints in this process (an empty list disarms them all). */
export function armFailpoints(points: readonly Failpoint[]): void {
  armed = points.length ? new Map(points.map((p) => [p.name, p.action])) : undefined;
}

/** Parses FAILPOINTS (`name` or `name=action`, comma-separated); returns the problems instead when any. */
export function parseFailpoints(spec: string): Failpoint[] | string[] {
  const points: Failpoint[] = [];
  const problems: string[] = [];
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, action = 'kill'] = entry.split('=').map((s) => s.trim()) as [string, string | undefined];
    if (!(FAILPOINT_NAMES as readonly string[]).includes(name))
      problems.push(`"${name}" is not a failpoint (${FAILPOINT_NAMES.join(', ')})`);
    else if (!(FAILPOINT_ACTIONS as readonly string[]).includes(action))
      problems.push(`"${action}" is not a failpoint action (${FAILPOINT_ACTIONS.join(', ')})`);
    else points.push({ name: name as FailpointName, action: action as FailpointAction });
  }
  return problems.length ? problems : points;
}

/**
 * Dies or stops here when this failpoint is armed, once per process (a paused worker that is let
 * go on does not stop again at its next create); one map lookup when none is armed.
 */
export function failpoint(name: FailpointName): void {
  const action = armed?.get(name);
  if (action === undefined) return;
  const rest = new Map(armed);
  rest.delete(name);
  armed = rest.size ? rest : undefined;
  process.kill(process.pid, action === 'kill' ? 'SIGKILL' : 'SIGSTOP');
}
