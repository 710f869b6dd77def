import { StartupError } from './errors.js';
import type { Logger } from './logger.js';
import type { RunningProcess } from './shutdown.js';

/** How long a shutdown may take when the process does not say (SHUTDOWN_TIMEOUT_MS's default). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * What every entry point does around its work: a start-up failure an operator can act
 * on is one line (no stack trace), unhandled rejections are logged, and SIGTERM/SIGINT
 * close gracefully (active jobs finish) before the process exits. Every shutdown is
 * bounded: after `shutdownTimeoutMs` (or at a second signal) the process exits anyway,
 * naming the parts that had not stopped (a worker waiting on a Redis that is gone, a job
 * that would not finish); their jobs are taken over by another worker once their lock expires.
 */
export async function runMain(name: string, start: () => Promise<RunningProcess>, logger?: Logger): Promise<void> {
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? reason.message : String(reason);
    if (logger) logger.error({ err }, 'unhandled rejection');
    else console.error(`${name}: unhandled rejection: ${err}`);
  });
  // Listened for before start-up, so a signal that comes while the process is still starting is
  // not Node's silent default (an abrupt exit): it is answered as soon as there is something to stop.
  let signalled: string | undefined;
  let onSignal = (signal: string) => {
    signalled ??= signal;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  let running: RunningProcess;
  try {
    running = await start();
  } catch (e) {
    if (e instanceof StartupError) {
      console.error(`${name}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const timeoutMs = running.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const stillStopping = () => {
    const parts = running.pending?.() ?? [];
    return parts.length ? `; still stopping: ${parts.join(', ')}` : '';
  };
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`${name}: ${signal} received again, exiting now${stillStopping()}`);
      process.exit(1);
    }
    stopping = true;
    console.error(`${name}: ${signal} received, finishing active work (at most ${timeoutMs} ms)…`);
    const timer = setTimeout(() => {
      console.error(
        `${name}: shutdown timed out after ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS)${stillStopping()}; exiting`,
      );
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`${name}: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  onSignal = stop;
  if (signalled) stop(signalled);
}
