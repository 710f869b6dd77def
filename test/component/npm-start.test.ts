/**
 * `npm start` as one process that behaves: its ports are bound before any worker starts, a port
 * in use is one line and exit code 1, and SIGTERM or SIGINT ends it (npm runs it with exec, so
 * the signal reaches node) and frees its ports.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { appEnv, portIsFree, startApp, type AppProcess } from '../support/app-process.js';

const started: AppProcess[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const app of started.splice(0)) app.kill();
  for (const s of servers.splice(0)) await new Promise<void>((done) => s.close(() => done()));
});

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`When npm start receives ${signal}, then it ends (npm and node) and its ports are free again`, async () => {
      const app = startApp(await appEnv());
      started.push(app);
      await app.ready();

      const began = Date.now();
      app.proc.kill(signal);
      const { code, signal: killedBy } = await app.exited;
      // npm itself ends with the child's code, or (SIGTERM) by the signal it forwarded; node must be gone too.
      await expect.poll(() => app.treeAlive(), { timeout: 30_000 }).toBe(false);
      const tookMs = Date.now() - began;

      expect(code === 0 || killedBy === signal).toBe(true);
      expect(app.stderr()).not.toMatch(/timed out|error while stopping/);
      expect(await portIsFree(app.port)).toBe(true);
      expect(await portIsFree(app.sandboxPort, '127.0.0.1')).toBe(true);
      expect(app.stderr()).toContain(`${signal} received`);
      console.info(`npm start: ${signal} to exit took ${tookMs} ms`);
    });
  }

  it('When the API port is in use, then npm start says so in one line and exits with code 1 before any worker starts', async () => {
    const env = await appEnv({ LOG_LEVEL: 'info' });
    servers.push(await occupy(Number(env.PORT)));
    const app = startApp(env);
    started.push(app);

    const { code } = await app.exited;

    expect(code).toBe(1);
    expect(app.stderr().trim()).toBe(
      `client-provisioner: port ${env.PORT} is in use (PORT): another process listens on it; stop it or set PORT to a free port`,
    );
    expect(app.output()).not.toContain('worker started');
  });

  it('When the sandbox port is in use, then npm start names SANDBOX_PORT and exits with code 1', async () => {
    const env = await appEnv();
    servers.push(await occupy(Number(env.SANDBOX_PORT), '127.0.0.1'));
    const app = startApp(env);
    started.push(app);

    const { code } = await app.exited;

    expect(code).toBe(1);
    expect(app.stderr().trim()).toMatch(/^client-provisioner: port \d+ is in use \(SANDBOX_PORT\): [^\n]+$/);
  });
});

async function occupy(port: number, host = '0.0.0.0'): Promise<Server> {
  const s = createServer();
  await new Promise<void>((done, fail) => {
    s.once('error', fail);
    s.listen(port, host, () => done());
  });
  return s;
}
