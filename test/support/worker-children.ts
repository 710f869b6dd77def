/**
 * Workers as child processes (test/support/worker-process.ts), for tests that kill them: started
 * with a harness's environment (plus extra settings, e.g. FAILPOINTS), SIGKILLed, and waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Harness } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER_ENTRY = resolve(ROOT, 'test/support/worker-process.ts');

export interface WorkerChild {
  proc: ChildProcess;
  /** Its stdout and stderr, line by line (pino JSON), to show when a test fails. */
  output: string[];
  exited: Promise<void>;
}

export interface WorkerChildren {
  /** Starts a worker process; resolves once its workers are started. */
  spawn(extraEnv?: Record<string, string>): Promise<WorkerChild>;
  /** SIGKILL: no handler runs, no lock is released, no job is moved back. Returns when it is gone. */
  kill9(child: WorkerChild): Promise<number>;
  killAll(): Promise<void>;
  /** Every worker started by the current test, killed or not. */
  spawned: WorkerChild[];
  /** How many are alive. */
  alive(): number;
  /**
   * After each test: kills every worker it started, prints what they logged when the test failed
   * (the failure's story), and forgets them.
   */
  afterTest(failed: boolean): Promise<void>;
}

export function workerChildren(h: () => Harness): WorkerChildren {
  const live = new Set<WorkerChild>();
  const spawned: WorkerChild[] = [];

  async function spawnWorker(extraEnv: Record<string, string> = {}): Promise<WorkerChild> {
    const proc = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: ROOT,
      // Only what the harness configured itself with (as the in-process worker had), so that no
      // provider credential of the developer's shell can switch a provider to live.
      env: { PATH: process.env.PATH ?? '', ...h().env, LOG_LEVEL: 'info', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output: string[] = [];
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    const child: WorkerChild = { proc, output, exited };
    live.add(child);
    spawned.push(child);
    void exited.then(() => live.delete(child));

    await new Promise<void>((ready, fail) => {
      // A bound against a worker that never starts, not a timing: readiness is the `worker-ready` line.
      const timer = setTimeout(() => fail(new Error(`worker did not start in 20 s:\n${output.join('')}`)), 20_000);
      const collect = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.join('').includes('worker-ready')) {
          clearTimeout(timer);
          ready();
        }
      };
      proc.stdout!.on('data', collect);
      proc.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`worker exited before it was ready (code ${proc.exitCode}):\n${output.join('')}`));
      });
    });
    return child;
  }

  async function kill9(child: WorkerChild): Promise<number> {
    const at = Date.now();
    child.proc.kill('SIGKILL');
    await child.exited;
    return at;
  }

  return {
    spawn: spawnWorker,
    kill9,
    async killAll() {
      await Promise.all([...live].map((c) => kill9(c)));
    },
    spawned,
    alive: () => live.size,
    async afterTest(failed) {
      await Promise.all([...live].map((c) => kill9(c)));
      if (failed)
        for (const [i, c] of spawned.entries())
          console.error(`--- worker ${i + 1} (pid ${c.proc.pid}) ---\n${c.output.join('').slice(-6000)}`);
      spawned.length = 0;
    },
  };
}
