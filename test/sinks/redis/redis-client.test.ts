import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { isRoutemeterError } from '../../../src/errors/routemeter-error.js';
import { createRedis, isClusterUrl, parseClusterUrl } from '../../../src/sinks/redis/redis-client.js';

describe('REDIS_URL', () => {
  it('selects a Redis Cluster only with redis+cluster:// or rediss+cluster://', () => {
    expect(isClusterUrl('redis+cluster://a:1')).toBe(true);
    expect(isClusterUrl('rediss+cluster://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1')).toBe(false);
    expect(isClusterUrl('rediss://a:1')).toBe(false);
  });

  it('parses the seed nodes, TLS and credentials of a cluster URL', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-2')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-2', port: 6379 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseClusterUrl('rediss+cluster://app:p%40ss@h:6380/')).toMatchObject({
      nodes: [{ host: 'h', port: 6380 }],
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
    expect(parseClusterUrl('redis+cluster://:secret@h:1').password).toBe('secret');
  });

  it.each(['redis+cluster://', 'redis+cluster://h:0', 'redis+cluster://h:99999', 'redis+cluster://h:x'])(
    'rejects %s naming REDIS_URL, without echoing credentials',
    (url) => {
      try {
        parseClusterUrl(url);
        expect.unreachable();
      } catch (err) {
        expect(isRoutemeterError(err, 'RM_ERR_CONFIG')).toBe(true);
        expect((err as Error).message).toMatch(/^REDIS_URL: /);
      }
    },
  );

  it('builds a Cluster client for cluster URLs and a Redis client otherwise', async () => {
    const cfg = (url: string) => loadConfig({ REDIS_URL: url });
    const cluster = createRedis(cfg('redis+cluster://127.0.0.1:1,127.0.0.1:2'), { lazyConnect: true });
    const single = createRedis(cfg('redis://127.0.0.1:1'), { lazyConnect: true });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      expect(single).toBeInstanceOf(Redis);
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });
});
