import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { StartupError } from './errors.js';
import { assertRedisReachable, createRedis, type RedisClient, type RedisTarget } from './redis.js';
import type { DeploymentFingerprint } from './deployment-fingerprint.js';

/** How long a registration outlives its last heartbeat (a process that died is forgotten after it). */
export const REGISTRATION_TTL_MS = 15_000;

/**
 * Joins atomically: forgets members whose registration expired (and the fingerprint with the
 * last of them), compares each field with the deployment's, and only when all agree adds the
 * new member and the fields it brings.
 * KEYS: members (zset id → expiry), member info (hash id → description), fingerprint (hash).
 * ARGV: now, expiry, id, description, ttl, field, value, field, value, …
 */
const JOIN = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(dead) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end
local diffs = {}
for i = 6, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[3], ARGV[i])
  if current and current ~= ARGV[i + 1] then
    table.insert(diffs, ARGV[i]); table.insert(diffs, current)
  end
end
if #diffs > 0 then return {0, diffs, redis.call('HVALS', KEYS[2])} end
for i = 6, #ARGV, 2 do redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
return {1}
`;

/** A heartbeat: the member's registration (and the deployment's) lives on for another TTL. */
const BEAT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
for i = 6, #ARGV, 2 do redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1]) end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
return 1
`;

/** A process whose fingerprint differs from the deployment's already under this prefix. */
export class DeploymentMismatchError extends StartupError {
  override name = 'DeploymentMismatchError';
  constructor(prefix: string, differences: string[], members: string[]) {
    super(
      `another deployment already uses queue prefix "${prefix}" on this Redis (${members.join('; ') || 'a process that just stopped'}) ` +
        `and this one differs: ${differences.join('; ')}. Stop it, or give this one a QUEUE_PREFIX of its own.`,
    );
  }
}

export interface DeploymentMembership {
  /** Stops the heartbeat and removes the registration at once. */
  leave(): Promise<void>;
}

export interface JoinOptions {
  redis: RedisClient;
  prefix: string;
  /** What this process is, for the message another process prints: `npm start`, `worker`, `api`. */
  role: string;
  /** Where it answers, if anywhere (the API's URL). */
  url?: string;
  fingerprint: DeploymentFingerprint;
  ttlMs?: number;
}

/**
 * Registers this process under the queue prefix, or refuses (DeploymentMismatchError) when the
 * processes already there were started with another key, other providers or another sandbox.
 * The registration expires unless refreshed: a heartbeat renews it every third of the TTL.
 */
export async function joinDeployment(options: JoinOptions): Promise<DeploymentMembership> {
  const { redis, prefix, fingerprint } = options;
  const ttlMs = options.ttlMs ?? REGISTRATION_TTL_MS;
  const id = randomUUID();
  const description =
    `${options.role} pid ${process.pid} on ${hostname()}` +
    `${options.url ? ` at ${options.url}` : ''}, started ${new Date().toISOString()}`;
  const keys = [`${prefix}:deployment:members`, `${prefix}:deployment:member-info`, `${prefix}:deployment:fingerprint`];
  const fields = Object.entries(fingerprint).flat();
  const args = () => [Date.now(), Date.now() + ttlMs, id, description, ttlMs, ...fields];

  const [joined, diffs, members] = (await redis.eval(JOIN, keys.length, ...keys, ...args())) as [
    number,
    string[] | undefined,
    string[] | undefined,
  ];
  if (!joined) {
    const differences: string[] = [];
    for (let i = 0; i < (diffs ?? []).length; i += 2) {
      const field = diffs![i]!;
      differences.push(`${field} is "${fingerprint[field]}" here, "${diffs![i + 1]}" there`);
    }
    throw new DeploymentMismatchError(prefix, differences, members ?? []);
  }

  const timer = setInterval(
    () => {
      redis.eval(BEAT, keys.length, ...keys, ...args()).catch(() => undefined);
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return {
    async leave() {
      clearInterval(timer);
      await Promise.all([redis.zrem(keys[0]!, id), redis.hdel(keys[1]!, id)]).catch(() => undefined);
    },
  };
}

/** joinDeployment on a connection of its own, closed when the process leaves (or fails to join). */
export async function registerProcess(
  target: RedisTarget,
  options: Omit<JoinOptions, 'redis'>,
): Promise<DeploymentMembership> {
  await assertRedisReachable(target);
  const redis = createRedis(target, 'producer');
  redis.on('error', () => undefined);
  try {
    const membership = await joinDeployment({ ...options, redis });
    return {
      async leave() {
        await membership.leave();
        redis.disconnect();
      },
    };
  } catch (e) {
    redis.disconnect();
    throw e;
  }
}
