import { StartupError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * What every entry point does around its work: a start-up failure an operator can act
 * on is one line (no stack trace), unhandled rejections are logged, and SIGTERM/SIGINT
 * close gracefully (active jobs finish) before the process exits.
 */
export async function runMain(
  name: string,
  start: () => Promise<{ close(): Promise<void> }>,
  logger?: Logger,
): Promise<void> {
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? reason.message : String(reason);
    if (logger) logger.error({ err }, 'unhandled rejection');
    else console.error(`${name}: unhandled rejection: ${err}`);
  });
  let running: { close(): Promise<void> };
  try {
    running = await start();
  } catch (e) {
    if (e instanceof StartupError) {
      console.error(`${name}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${name}: ${signal} received, finishing active work…`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`${name}: error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
