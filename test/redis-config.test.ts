/** REDIS_CLUSTER_NODES and the queue prefix as an operator writes them: what is used, what is refused. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { clusterPrefix, hashTagOf } from '../src/shared/redis.js';

const load = (env: Record<string, string>) => loadConfig({ roles: [] }, env);

describe('Redis configuration', () => {
  it('When REDIS_CLUSTER_NODES lists nodes, then each is parsed and the queue prefix gets its hash tag', () => {
    const c = load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' });
    expect(c.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(c.queuePrefix).toBe('{cp}');
    expect(load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', QUEUE_PREFIX: 'eu-{blue}' }).queuePrefix).toBe('eu-{blue}');
  });

  it('When no cluster is configured, then the prefix is used as written (keys of a running deployment keep their names)', () => {
    const c = load({ QUEUE_PREFIX: 'cp' });
    expect(c.redisClusterNodes).toBeUndefined();
    expect(c.queuePrefix).toBe('cp');
  });

  it('When a node is not host:port, or the prefix has braces that tag nothing, then the key is named', () => {
    expect(() => load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2' })).toThrow(
      /- REDIS_CLUSTER_NODES: "10.0.0.2" is not host:port/,
    );
    expect(() => load({ REDIS_CLUSTER_NODES: '10.0.0.1:70000' })).toThrow(/- REDIS_CLUSTER_NODES: "10.0.0.1:70000"/);
    expect(() => load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', QUEUE_PREFIX: 'cp{}' })).toThrow(
      /- QUEUE_PREFIX: on a Redis Cluster its braces must enclose a hash tag/,
    );
  });

  it('When a key has braces, then its hash tag is what Redis Cluster hashes: the first {…} that is not empty', () => {
    expect(hashTagOf('{cp}:run:1')).toBe('cp');
    expect(hashTagOf('cp:run:1')).toBeUndefined();
    expect(hashTagOf('{}{cp}:run')).toBeUndefined(); // the first `{` opens an empty tag: the whole key is hashed
    expect(hashTagOf('a{b{c}d}')).toBe('b{c');
    expect(clusterPrefix('cp')).toBe('{cp}');
    expect(clusterPrefix('x-{cp}')).toBe('x-{cp}');
  });
});
