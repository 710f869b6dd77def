import { UnreachableError } from './errors.js';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections for BullMQ. Workers need `maxRetriesPerRequest: null` (they block);
 * producers fail fast so an HTTP request never hangs on a dead Redis.
 */
export function createRedis(url: string, kind: 'worker' | 'producer'): Redis {
  const options: RedisOptions =
    kind === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 5000 };
  return new Redis(url, options);
}

/** Pings once with a short timeout; throws UnreachableError naming the URL. */
export async function assertRedisReachable(url: string): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (cause) {
    throw new UnreachableError('Redis', url, cause);
  } finally {
    probe.disconnect();
  }
}

/**
 * BullMQ loses jobs on an evicting Redis. Reads the policy with CONFIG GET, or INFO
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
 * dropped): the API answers 503 for those, not 500, and the caller may try again shortly.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|LOADING|Reached the max retries/i.test(
    err.message,
  );
}
