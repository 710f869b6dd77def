import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * The product's processes as the bench runs them, each with its output in a log file, each killed
 * at the end. `built`: `node dist/<part>/main.js`, what the Dockerfile runs in production (after
 * `npm run build`); `tsx`: `node --import tsx src/<part>/main.ts`, what `npm run api|worker|sandbox`
 * run, which transpiles in the process and holds tens of MB more. Either way node itself, not a
 * wrapper process, so the pid read for memory is the part's own.
 */
export type Runtime = 'built' | 'tsx';

export interface Child {
  name: string;
  pid: number;
  log: string;
  /** Peak resident memory of the process so far (VmHWM), in MB; undefined once it is gone. */
  peakRssMb(): number | undefined;
  /** Resident memory now (VmRSS), in MB. */
  rssMb(): number | undefined;
  exited(): boolean;
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
// If the bench itself dies, its children go with it.
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function startChild(
  name: string,
  entry: string,
  env: Record<string, string>,
  logDir: string,
  runtime: Runtime,
): Child {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log);
  // BENCH_CPU_PROF=<dir>: the workers write V8 CPU profiles there when they stop (node --cpu-prof).
  const dir = process.env.BENCH_CPU_PROF;
  const profile = name.startsWith('worker') && dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const args =
    runtime === 'built' ? [entry.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')] : ['--import', 'tsx', entry];
  const child = spawn(process.execPath, [...profile, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let gone = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      live.delete(child);
      resolve();
    }),
  );
  return {
    name,
    pid: child.pid!,
    log,
    exited: () => gone,
    peakRssMb: () => procStatusMb(child.pid!, 'VmHWM'),
    rssMb: () => procStatusMb(child.pid!, 'VmRSS'),
    async stop(timeoutMs = 60_000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

function procStatusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines of a child's log, for an error message. */
export function tail(log: string, lines = 15): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A port free on loopback now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `ready` until it says yes; fails with the child's log when it exits or time runs out. */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  child?: Child,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exited()) throw new Error(`${what} exited while starting:\n${tail(child.log)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms${child ? `:\n${tail(child.log)}` : ''}`);
}
