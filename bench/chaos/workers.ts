import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { tail } from '../processes.js';

/**
 * The worker processes, supervised as an orchestrator would: each is test/support/worker-process.ts
 * (configured from the environment exactly as `npm run worker`, prints `worker-ready` once its
 * BullMQ workers run, and dies with its parent through the IPC channel, so a chaos run that is
 * itself killed leaves no worker behind). A worker that is killed, or exits by itself, is started
 * again; one that cannot start (Redis down) is retried.
 */
export interface WorkerPool {
  /** SIGKILLs worker `slot` (no handler runs, no lock is released) and starts a fresh one in its place. */
  kill(slot: number): Promise<void>;
  /** Resolves once every slot has a worker that said it is ready. */
  allReady(): Promise<void>;
  kills(): number;
  /** Exits nobody asked for (a crash, a refusal to start), with the last lines of the log. */
  unexpectedExits(): { slot: number; code: number | null; signal: string | null; tail: string }[];
  close(): Promise<void>;
}

const ENTRY = 'test/support/worker-process.ts';
const RETRY_START_MS = 1000;

interface Slot {
  proc?: ChildProcess;
  ready?: Promise<void>;
  exited?: Promise<void>;
  expectExit: boolean;
  generation: number;
}

export function startWorkerPool(count: number, env: Record<string, string>, logDir: string): WorkerPool {
  const slots: Slot[] = Array.from({ length: count }, () => ({ expectExit: false, generation: 0 }));
  let kills = 0;
  let closing = false;
  const unexpected: ReturnType<WorkerPool['unexpectedExits']> = [];

  const launch = (i: number): void => {
    const slot = slots[i]!;
    slot.generation += 1;
    slot.expectExit = false;
    const log = join(logDir, `worker-${i + 1}.${slot.generation}.log`);
    const out = createWriteStream(log);
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    slot.proc = proc;
    proc.stderr!.pipe(out);
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
      proc.once('exit', (code, signal) => done({ code, signal })),
    );
    slot.exited = exited.then(() => undefined);
    slot.ready = new Promise<void>((ready, fail) => {
      let seen = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        out.write(chunk);
        seen += chunk.toString();
        if (seen.includes('worker-ready')) ready();
      });
      void exited.then(() => fail(new Error(`worker ${i + 1} exited before it was ready:\n${tail(log)}`)));
    });
    slot.ready.catch(() => undefined);
    void exited.then(({ code, signal }) => {
      out.end();
      if (closing || slot.proc !== proc) return;
      if (!slot.expectExit) {
        unexpected.push({ slot: i + 1, code, signal, tail: tail(log, 5) });
        // A supervisor starts it again, after a pause (Redis may be down: it would refuse at once).
        setTimeout(() => {
          if (!closing && slot.proc === proc) launch(i);
        }, RETRY_START_MS).unref();
      }
    });
  };

  for (let i = 0; i < count; i++) launch(i);

  return {
    async kill(i) {
      const slot = slots[i]!;
      const proc = slot.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      slot.expectExit = true;
      proc.kill('SIGKILL');
      await slot.exited;
      kills += 1;
      if (!closing) launch(i);
    },
    async allReady() {
      // A slot's worker may die while starting (and be replaced): wait on whoever holds the slot now.
      for (;;) {
        const pending = slots.map((s) => s.ready!);
        const results = await Promise.allSettled(pending);
        if (results.every((r) => r.status === 'fulfilled') && slots.every((s, k) => s.ready === pending[k])) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    kills: () => kills,
    unexpectedExits: () => [...unexpected],
    async close() {
      closing = true;
      await Promise.all(
        slots.map(async (s) => {
          if (!s.proc || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
          s.proc.kill('SIGKILL');
          await s.exited;
        }),
      );
    },
  };
}
