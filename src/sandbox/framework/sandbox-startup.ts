import type express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderEmulator } from './emulator.types.js';
import type { SandboxWorld } from './sandbox-world.js';
import { restoreWorld } from './world-lifecycle.js';

/** What start-up needs of the sandbox's options. */
interface Binding {
  port: number;
  publicUrl?: string;
}

/** Binds the port, makes the emulators (they need the URL), loads their stored world; undoes it all on failure. */
export async function bringUp(
  app: express.Express,
  options: Binding,
  host: string,
  world: SandboxWorld,
  make: (publicUrl: string) => ProviderEmulator[],
): Promise<{ server: Server; url: string; emulators: ProviderEmulator[] }> {
  let server: Server | undefined;
  try {
    server = await listen(app, options.port, host);
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const emulators = make((options.publicUrl ?? url).replace(/\/+$/, ''));
    await restoreWorld(world, emulators);
    return { server, url, emulators };
  } catch (err) {
    server?.closeAllConnections();
    server?.close();
    await world.close();
    throw err;
  }
}

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Express 5 calls back with the error too (EADDRINUSE), not only on success.
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
}

/** A promise requests wait on until start-up is over. */
export function startGate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
