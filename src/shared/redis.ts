import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { EvictingRedisError, UnreachableError } from './errors.js';

/** A connection to Redis: one server (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server at REDIS_URL, or the seed nodes of a cluster when they are given. */
export interface RedisEndpoints {
  redisUrl: string;
  /** A Redis Cluster's nodes (some or all); REDIS_URL then only lends its user, password and TLS. */
  redisClusterNodes?: readonly RedisNode[];
}

/** The endpoints, or just the URL of one server. */
export type RedisTarget = RedisEndpoints | string;

/** Workers block (BRPOPLPUSH, XREAD) and wait out an outage; producers fail fast. */
export type ConnectionKind = 'worker' | 'producer';

const SERVER_OPTIONS: Record<ConnectionKind, RedisOptions> = {
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 5000 },
};

const endpoints = (target: RedisTarget): RedisEndpoints => (typeof target === 'string' ? { redisUrl: target } : target);

/** The cluster's seed nodes, or undefined for one server. */
export function clusterNodesOf(target: RedisTarget): readonly RedisNode[] | undefined {
  const nodes = endpoints(target).redisClusterNodes;
  return nodes?.length ? nodes : undefined;
}

/**
 * Every connection of the product is made here. Workers need `maxRetriesPerRequest: null`
 * (BullMQ refuses a blocking connection without it); producers fail fast so an HTTP request
 * never hangs on a dead Redis.
 */
export function createRedis(target: RedisTarget, kind: ConnectionKind): RedisClient {
  const { redisUrl } = endpoints(target);
  const nodes = clusterNodesOf(target);
  if (!nodes) return new Redis(redisUrl, SERVER_OPTIONS[kind]);
  const cluster = new Cluster([...nodes], clusterOptions(redisUrl, kind));
  if (kind === 'producer') failFastOnceReady(cluster);
  return cluster;
}

/** A second connection like `client` (rate-limiter-flexible keeps one script per connection). */
export function duplicateRedis(client: RedisClient): RedisClient {
  if (!(client instanceof Cluster)) return client.duplicate();
  // The copy starts with the original's options; it queues until its own first connection.
  const copy = client.duplicate(undefined, { enableOfflineQueue: true });
  if (failingFast.has(client)) failFastOnceReady(copy);
  return copy;
}

const failingFast = new WeakSet<Cluster>();

/**
 * A cluster queues commands for as long as it is down (it has no maxRetriesPerRequest of its
 * own), so a producer's request would hang. Queue only until the first connection, like a
 * single server's producer; from then on a command fails at once while the cluster is down,
 * and the API answers 503.
 */
function failFastOnceReady(cluster: Cluster): void {
  failingFast.add(cluster);
  cluster.once('ready', () => {
    cluster.options.enableOfflineQueue = false;
  });
}

function clusterOptions(redisUrl: string, kind: ConnectionKind): ClusterOptions {
  // Offline queueing is the cluster's decision (above), not each node's.
  const { enableOfflineQueue: _cluster, ...node } = SERVER_OPTIONS[kind];
  return { enableReadyCheck: true, redisOptions: { ...node, ...credentialsOf(redisUrl) } };
}

/** REDIS_URL's user, password and `rediss:` (TLS) apply to every node of a cluster. */
function credentialsOf(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Pings once with a short timeout (a cluster: also its state); throws UnreachableError naming where. */
export async function assertRedisReachable(target: RedisTarget): Promise<void> {
  const { redisUrl } = endpoints(target);
  const nodes = clusterNodesOf(target);
  const once = { maxRetriesPerRequest: 0, connectTimeout: 3000 };
  const probe = nodes
    ? new Cluster([...nodes], {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        redisOptions: { ...once, ...credentialsOf(redisUrl) },
      })
    : new Redis(redisUrl, { ...once, lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    if (probe instanceof Cluster) await assertClusterOk(probe);
  } catch (cause) {
    throw nodes
      ? new UnreachableError('Redis Cluster', nodes.map((n) => `${n.host}:${n.port}`).join(','), cause)
      : new UnreachableError('Redis', redisUrl, cause);
  } finally {
    probe.disconnect();
  }
}

/** A cluster answers commands only while every slot is served (`cluster_state:ok`). */
async function assertClusterOk(cluster: Cluster): Promise<void> {
  const info = await cluster.cluster('INFO');
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== 'ok') throw new Error(`cluster_state:${state ?? 'unknown'}`);
}

/** Refuses an evicting Redis (each master of a cluster): BullMQ loses jobs on one. */
export async function assertNoEviction(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    const policy = await evictionPolicy(redis);
    if (policy !== 'noeviction') throw new EvictingRedisError(policy);
    return;
  }
  await clusterReady(redis);
  for (const node of redis.nodes('master')) {
    const policy = await evictionPolicy(node);
    if (policy !== 'noeviction') throw new EvictingRedisError(policy, `${node.options.host}:${node.options.port}`);
  }
}

/** Resolves once the cluster has its slots and nodes (a new connection has none yet). */
async function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('end', () => reject(new Error('Cluster is ended.')));
  });
}

/**
 * BullMQ loses jobs on an evicting Redis. Reads one server's policy with CONFIG GET, or INFO
 * where CONFIG is disabled (managed Redis).
 */
export async function evictionPolicy(redis: Redis): Promise<string> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy) return policy;
  } catch {
    // CONFIG may be renamed or disabled; INFO still tells.
  }
  const info = await redis.info('memory');
  return /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/**
 * Whether an error means Redis cannot be reached right now (down, restarting, connection
 * dropped; a cluster down, failing over or without a node for a slot): the API answers 503
 * for those, not 500, and the caller may try again shortly.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError') return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|LOADING|Reached the max retries|Cluster isn't ready|Cluster is disconnected|None of startup nodes|Too many Cluster redirections|CLUSTERDOWN|TRYAGAIN/i.test(
    err.message,
  );
}

/**
 * The hash tag Redis Cluster places a key by: what its first `{` and the next `}` enclose,
 * when that is not empty. Keys with one tag share one hash slot.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * The key prefix of a deployment on a cluster: every key (BullMQ's and ours) starts with it, so
 * it must carry a hash tag for a run, its flow and its scripts' keys to share one slot (BullMQ's
 * `{prefix}` convention). `cp` becomes `{cp}`; a prefix with a tag of its own is kept.
 */
export const clusterPrefix = (prefix: string): string => (hashTagOf(prefix) ? prefix : `{${prefix}}`);
