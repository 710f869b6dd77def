/**
 * `npm start` as an operator runs it, in a child process of its own (its own process group, so
 * that a test can clean up the whole tree), on free ports, against the test's Redis with a
 * queue prefix of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATABASE_URL, REDIS_URL } from './harness.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppProcess {
  proc: ChildProcess;
  port: number;
  sandboxPort: number;
  env: Record<string, string>;
  /** stdout and stderr so far. */
  output(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the API, the sandbox and the worker are up (the banner is printed). */
  ready(): Promise<void>;
  /** Whether any process of its group (npm, node) is still there. */
  treeAlive(): boolean;
  /** SIGKILLs the whole process tree (clean-up after a test). */
  kill(): void;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/** Whether a port can be bound again, i.e. whoever held it let it go. */
export async function portIsFree(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, host, () => s.close(() => done(true)));
  });
}

/** The environment of a fresh deployment: its own prefix, ports and keys. */
export async function appEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDIS_URL,
    DATABASE_URL,
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
    API_TOKENS: `admin:${randomBytes(18).toString('base64url')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    SANDBOX_TIME_SCALE: '0.01',
    // Each test's sandbox forgets its world when it stops; one that means to keep it says so
    // (SANDBOX_STATE=postgres with a SANDBOX_INSTANCE of its own).
    SANDBOX_STATE: 'memory',
    POLL_INTERVAL_MS: '20',
    STEP_BACKOFF_MS: '50',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** Starts `npm start` (or another npm script) with exactly this environment. */
export function startApp(env: Record<string, string>, script = 'start'): AppProcess {
  const proc = spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: string[] = [];
  const err: string[] = [];
  proc.stdout.on('data', (d: Buffer) => out.push(d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    out.push(d.toString());
    err.push(d.toString());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    proc,
    port: Number(env.PORT),
    sandboxPort: Number(env.SANDBOX_PORT),
    env,
    output: () => out.join(''),
    stderr: () => err.join(''),
    exited,
    ready() {
      return new Promise<void>((done, fail) => {
        const check = () => {
          if (out.join('').includes('Dashboard')) done();
        };
        proc.stdout.on('data', check);
        check();
        void exited.then(({ code }) =>
          fail(new Error(`npm ${script} exited (${code}) before it was ready:\n${out.join('')}`)),
        );
      });
    },
    treeAlive() {
      try {
        process.kill(-proc.pid!, 0);
        return true;
      } catch {
        return false;
      }
    },
    kill() {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
