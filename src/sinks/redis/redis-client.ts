import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/config.js';
import { RoutemeterError } from '../../errors/routemeter-error.js';

/**
 * A single Redis or a Redis Cluster: every sink and query function takes either.
 * Both speak the same commands; on a cluster a Lua script must touch keys of one
 * hash slot only, which the key schema guarantees (redis-keys.ts).
 */
export type RedisClient = Redis | Cluster;

/** `redis+cluster://` and `rediss+cluster://` select a Redis Cluster (see parseClusterUrl). */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

export interface ClusterUrl {
  nodes: Array<{ host: string; port: number }>;
  tls: boolean;
  username?: string;
  password?: string;
}

/**
 * `redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://` for
 * TLS). The nodes are seeds: the client asks any of them for the slot map and then
 * talks to every primary directly, so two or three seeds are enough.
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  const bad = (why: string) =>
    new RoutemeterError(
      'RM_ERR_CONFIG',
      `REDIS_URL: ${why} (redis+cluster://[user:password@]host:port,host:port…)`,
    );
  if (!m) throw bad('not a cluster URL');
  const [, scheme, auth, hosts] = m;
  const nodes = hosts!.split(',').map((hp) => {
    const colon = hp.lastIndexOf(':');
    const host = colon > 0 ? hp.slice(0, colon) : hp;
    const port = colon > 0 ? Number(hp.slice(colon + 1)) : 6379;
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw bad(`bad node "${hp}"`);
    return { host, port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined && auth !== '') {
    const colon = auth.indexOf(':');
    if (colon < 0) password = decodeURIComponent(auth);
    else {
      username = decodeURIComponent(auth.slice(0, colon)) || undefined;
      password = decodeURIComponent(auth.slice(colon + 1));
    }
  }
  return { nodes, tls: scheme === 'rediss', username, password };
}

/**
 * Builds an ioredis client from `REDIS_URL`. With `rediss://`, TLS verifies the
 * server certificate unless `REDIS_TLS_VERIFY=false`: Heroku Data for Redis
 * presents a self-signed certificate, so Heroku apps set that (as Heroku's
 * own guide does).
 *
 * Commands fail after a bounded wait instead of queueing forever while Redis is
 * away: the runtime keeps its batch and retries on its own schedule, with
 * backpressure, and the drain answers 503 so that logplex retries.
 *
 * A `redis+cluster://` URL gives an ioredis `Cluster`. During a failover (a primary
 * dies, its replica is promoted after `cluster-node-timeout`) commands to the dead
 * primary's slots fail with connection errors or CLUSTERDOWN; the client refreshes
 * its slot map and the runtime retries the same batch, which the offset check makes
 * safe (docs/redis-keys.md).
 */
export function createRedis(config: Pick<Config, 'redis'>, overrides: RedisOptions = {}): RedisClient {
  const { url, tlsVerify, client } = config.redis;
  const base: RedisOptions = {
    maxRetriesPerRequest: client.maxRetriesPerRequest,
    connectTimeout: client.connectTimeoutMs,
    commandTimeout: client.commandTimeoutMs,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * client.reconnectStepMs, client.reconnectMaxMs),
  };
  if (!isClusterUrl(url)) {
    const tls = url.startsWith('rediss://') ? { tls: { rejectUnauthorized: tlsVerify } } : {};
    return new Redis(url, { ...base, ...tls, ...overrides });
  }
  const parsed = parseClusterUrl(url);
  const {
    retryStrategy: _r,
    enableOfflineQueue,
    lazyConnect,
    enableAutoPipelining,
    ...perNode
  } = {
    ...base,
    ...overrides,
  };
  const options: ClusterOptions = {
    enableAutoPipelining,
    enableOfflineQueue,
    lazyConnect,
    // A failover takes cluster-node-timeout plus an election: keep retrying the slot map
    // at a bounded pace rather than giving up.
    clusterRetryStrategy: (times) => Math.min(100 + times * 100, 2000),
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
    // Re-learn the slot map every 2 s whatever happens: ioredis refreshes it on MOVED and on
    // connection errors, but a client whose commands to a dead primary only time out (it
    // had none in flight when the primary died) would otherwise keep sending them there.
    slotsRefreshInterval: 2000,
    redisOptions: {
      ...perNode,
      username: parsed.username,
      password: parsed.password,
      ...(parsed.tls ? { tls: { rejectUnauthorized: tlsVerify } } : {}),
    },
    // TLS certificates name the host we were given, not the IP the slot map reports
    ...(parsed.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  return new Cluster(parsed.nodes, options);
}
