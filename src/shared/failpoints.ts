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

let armed: ReadonlySet<FailpointName> | undefined;

/** Arms these failpoints in this process (an empty list disarms them all). */
export function armFailpoints(names: readonly FailpointName[]): void {
  armed = names.length ? new Set(names) : undefined;
}

/** Dies here, at once and without cleaning up (SIGKILL), when this failpoint is armed. */
export function failpoint(name: FailpointName): void {
  if (armed === undefined || !armed.has(name)) return;
  process.kill(process.pid, 'SIGKILL');
}
