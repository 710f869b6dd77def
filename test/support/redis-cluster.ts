/**
 * A Redis Cluster of the test's own (never the machine's shared Redis): three masters, no
 * replicas, each a `redis-server --cluster-enabled yes` on free loopback ports with its files in
 * one temporary directory, joined by `redis-cli --cluster create`, behind a password. Ready
 * once every node says `cluster_state:ok`. `destroy()` stops the nodes and removes the
 * directory; should the test process die first (a hook that timed out, a SIGKILL), a watchdog
 * beside each node does it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './app-process.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 30_000;

export interface LocalCluster {
  nodes: { host: string; port: number }[];
  /** The value of REDIS_CLUSTER_NODES for this cluster: `127.0.0.1:P1,127.0.0.1:P2,…`. */
  setting: string;
  /** A REDIS_URL lending the cluster's password (its host is not used in cluster mode). */
  url: string;
  /** A connection to one node (closed by the caller). */
  node(port: number): Redis;
  /** Stops every node (SIGTERM); resolves once all have exited. */
  stop(): Promise<void>;
  /** Starts the nodes again on their ports and files; resolves once the cluster is `ok`. */
  start(): Promise<void>;
  /** Stops every node for good and removes their directory. */
  destroy(): Promise<void>;
}

interface Node {
  port: number;
  busPort: number;
  proc?: ChildProcess;
}

export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  await requireTools();
  const dir = mkdtempSync(join(tmpdir(), 'cp-cluster-'));
  const password = randomBytes(12).toString('hex');
  const nodes: Node[] = [];
  // The cluster bus port is chosen too: the default (port + 10000) may be taken or past 65535.
  for (let i = 0; i < masters; i++) nodes.push({ port: await freePort(), busPort: await freePort() });
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  const connect = (port: number) =>
    new Redis(port, '127.0.0.1', { password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });

  const startNodes = async () => {
    for (const n of nodes) if (!alive(n.proc)) n.proc = startNode(dir, n, password);
    await Promise.all(nodes.map((n) => pollNode(connect(n.port), 'no answer', pong, n.proc)));
  };
  const waitForClusterOk = () =>
    Promise.all(nodes.map((n) => pollNode(connect(n.port), 'cluster_state is not ok', clusterOk)));
  const stop = async () => {
    await Promise.all(nodes.map((n) => stopProcess(n.proc)));
  };
  const destroy = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await startNodes();
    const create = ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'];
    await run('redis-cli', ['-a', password, '--no-auth-warning', ...create], { timeout: READY_TIMEOUT_MS });
    await waitForClusterOk();
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    setting: addresses.join(','),
    url: `redis://:${password}@127.0.0.1:${nodes[0]!.port}`,
    node: (port) => new Redis(port, '127.0.0.1', { password }),
    stop,
    async start() {
      await startNodes();
      await waitForClusterOk();
    },
    destroy,
  };
}

async function requireTools(): Promise<void> {
  for (const tool of ['redis-server', 'redis-cli']) {
    try {
      await run(tool, ['--version']);
    } catch {
      throw new Error(`${tool} is not installed: the cluster test starts its own nodes (apt-get install redis-server)`);
    }
  }
}

const alive = (proc: ChildProcess | undefined): boolean =>
  proc !== undefined && proc.exitCode === null && proc.signalCode === null;

function startNode(dir: string, node: Node, password: string): ChildProcess {
  const proc = spawn(
    'redis-server',
    [
      ...['--port', String(node.port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--cluster-enabled', 'yes', '--cluster-port', String(node.busPort)],
      ...['--cluster-config-file', join(dir, `nodes-${node.port}.conf`)],
      ...['--requirepass', password, '--masterauth', password],
      ...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    ],
    { stdio: 'ignore' },
  );
  watch(proc, dir);
  return proc;
}

/**
 * A shell that outlives this process: once the test process is gone (however it ended), it stops
 * the node and removes the cluster's directory; it leaves by itself when the node stops first.
 */
const WATCHDOG = `
while kill -0 "$1" 2>/dev/null; do
  kill -0 "$2" 2>/dev/null || exit 0
  sleep 1
done
kill "$2" 2>/dev/null; sleep 1; rm -rf "$3"
`;

function watch(node: ChildProcess, dir: string): void {
  if (node.pid === undefined) return;
  const args = ['-c', WATCHDOG, 'cluster-watchdog', String(process.pid), String(node.pid), dir];
  spawn('sh', args, { detached: true, stdio: 'ignore' }).unref();
}

async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || !alive(proc)) return;
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  proc.kill('SIGTERM');
  await exited;
}

const pong = async (node: Redis) => (await node.ping()) === 'PONG';
const clusterOk = async (node: Redis) => (await node.cluster('INFO')).includes('cluster_state:ok');

/** Polls `probe` on `node` until it returns true, within READY_TIMEOUT_MS; then closes it. */
async function pollNode(
  node: Redis,
  what: string,
  probe: (node: Redis) => Promise<boolean>,
  proc?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const where = `redis node on port ${node.options.port}`;
  node.on('error', () => undefined);
  try {
    for (;;) {
      if (proc && !alive(proc)) throw new Error(`${where} exited (${proc.exitCode ?? proc.signalCode})`);
      try {
        if (node.status !== 'ready') await node.connect();
        if (await probe(node)) return;
      } catch {
        node.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`${where}: ${what} within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    node.disconnect();
  }
}
