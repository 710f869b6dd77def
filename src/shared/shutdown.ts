import { StartupError } from './errors.js';

/** A part of a process that can be stopped: the API, the workers, the sandbox. */
export interface StoppablePart {
  name: string;
  close(): Promise<void>;
}

/** What runMain stops on SIGTERM/SIGINT, and how long it waits before it gives up. */
export interface RunningProcess {
  close(): Promise<void>;
  /** The parts that have not finished stopping yet (named when the shutdown times out). */
  pending?(): string[];
  /** How long a shutdown may take before the process exits anyway (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs?: number;
}

/**
 * Stops the parts one after the other, in the order given (the API stops taking requests
 * before the workers stop taking jobs), each even when the one before it failed; tells which
 * ones are still stopping, so that a shutdown that times out can name them.
 */
export function stopInOrder(parts: StoppablePart[], shutdownTimeoutMs?: number): RunningProcess {
  const stopped = new Set<string>();
  return {
    ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
    pending: () => parts.map((p) => p.name).filter((n) => !stopped.has(n)),
    async close() {
      const errors: string[] = [];
      for (const part of parts) {
        try {
          await part.close();
        } catch (e) {
          errors.push(`${part.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
        stopped.add(part.name);
      }
      if (errors.length) throw new Error(errors.join('; '));
    },
  };
}

/** A port another process already listens on: one line naming the port and the setting. */
export class PortInUseError extends StartupError {
  override name = 'PortInUseError';
  constructor(port: number, setting: string) {
    super(
      `port ${port} is in use (${setting}): another process listens on it; stop it or set ${setting} to a free port`,
    );
  }
}

/**
 * Runs a start-up that binds a port and turns "address in use" into a PortInUseError naming
 * the setting that chose the port; every other failure passes unchanged.
 */
export async function bindingPort<T>(setting: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    if ((e as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
      throw new PortInUseError((e as { port?: number }).port ?? port, setting);
    }
    throw e;
  }
}
