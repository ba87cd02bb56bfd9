import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, DEFAULTS, loadConfig } from '../../src/config/config.js';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (isRoutemeterError(err, 'RM_ERR_CONFIG')) return err.message;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(DEFAULTS.PORT);
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.kafka.ssl).toBe(false);
    expect(c.topics.router).toBe('router-logs');
    expect(c.consumerGroup).toBe('routemeter');
    expect(c.runtime.workerThreads).toBe(DEFAULTS.WORKER_THREADS);
    expect(c.runtime.storeOutageExitMs).toBe(300_000);
    expect(c.runtime.lagProbeIntervalMs).toBe(5000);
    expect(c.runtime.livenessStallMs).toBe(30_000);
    expect(c.runtime.promRouteEvaluateMs).toBe(60_000);
    expect(c.drain.producerThreads).toBe(DEFAULTS.DRAIN_PRODUCER_THREADS);
    expect(loadConfig({ DRAIN_PRODUCER_THREADS: '3' }).drain.producerThreads).toBe(3);
  });

  it('applies KAFKA_PREFIX to topics and the consumer group', () => {
    const c = loadConfig({ KAFKA_PREFIX: 'columbia-123.' });
    expect(c.topics.router).toBe('columbia-123.router-logs');
    expect(c.topics.platform).toBe('columbia-123.platform-logs');
    expect(c.consumerGroup).toBe('columbia-123.routemeter');
  });

  it('reads Heroku-style variables', () => {
    const c = loadConfig({
      PORT: '8080',
      REDIS_URL: 'rediss://:pw@redis.example:6380',
      DRAIN_USERS: 'a:b:c,d:e',
    });
    expect(c.port).toBe(8080);
    expect(c.redis.url).toBe('rediss://:pw@redis.example:6380');
    expect(c.drain.users).toEqual([
      { user: 'a', password: 'b:c' },
      { user: 'd', password: 'e' },
    ]);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL: /],
    [{ REDIS_URL: 'redis+sentinel://x' }, /^REDIS_URL: /],
    [{ REDIS_PREFIX: 'rm{x}:' }, /^REDIS_PREFIX: /],
    [{ KAFKA_URL: 'http://x:1' }, /^KAFKA_URL: /],
    [{ KAFKA_URL: 'kafka://nohost' }, /^KAFKA_URL: /],
    [{ KAFKA_URL: 'kafka://a:1,kafka+ssl://b:2' }, /^KAFKA_URL: mixes/],
    [{ KAFKA_URL: 'kafka+ssl://a:1' }, /^KAFKA_TRUSTED_CERT: /],
    [{ WORKER_THREADS: '0' }, /^WORKER_THREADS: /],
    [{ DRAIN_PRODUCER_THREADS: '0' }, /^DRAIN_PRODUCER_THREADS: /],
    [{ DRAIN_PRODUCER_THREADS: '17' }, /^DRAIN_PRODUCER_THREADS: /],
    [{ DRAIN_USERS: 'nopassword' }, /^DRAIN_USERS: /],
    [{ ROUTE_PATTERNS: '[{"pattern":"(","placeholder":":x"}]' }, /^ROUTE_PATTERNS: bad regex/],
    [{ SHUTDOWN_TIMEOUT_MS: '60000' }, /^SHUTDOWN_TIMEOUT_MS: /],
    [{ STORE_OUTAGE_EXIT_MS: '-1' }, /^STORE_OUTAGE_EXIT_MS: /],
    [{ LAG_PROBE_INTERVAL_MS: '10' }, /^LAG_PROBE_INTERVAL_MS: /],
    [{ LIVENESS_STALL_MS: 'soon' }, /^LIVENESS_STALL_MS: /],
    [{ PROM_ROUTE_EVALUATE_MS: '5' }, /^PROM_ROUTE_EVALUATE_MS: /],
    [{ ROLLUP_SECONDS: '25' }, /^ROLLUP_SECONDS: 25 is not a multiple of WINDOW_SECONDS \(10\)/],
    [{ WINDOW_SECONDS: '7' }, /^ROLLUP_SECONDS: 60 is not a multiple of WINDOW_SECONDS \(7\)/],
    [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL: /],
    [{ ROUTE_PATTERNS: '[{"pattern":"x","placeholder":"a/b"}]' }, /^ROUTE_PATTERNS\[0\]\.placeholder/],
    [{ GROUP_HEARTBEAT_INTERVAL_MS: '10000' }, /^GROUP_HEARTBEAT_INTERVAL_MS: .*GROUP_SESSION_TIMEOUT_MS/],
    [{ RESTART_BACKOFF_BASE_MS: '20000' }, /^RESTART_BACKOFF_MAX_MS: /],
    [{ FETCH_MAX_BYTES: '8388608', MAX_PENDING_BYTES: '8388608' }, /^MAX_PENDING_BYTES: .*FETCH_MAX_BYTES/],
    [{ FETCH_MAX_BYTES: '1000' }, /^FETCH_MAX_BYTES: /],
    [{ KAFKA_REQUEST_TIMEOUT_MS: 'soon' }, /^KAFKA_REQUEST_TIMEOUT_MS: /],
  ])('rejects %o naming the variable', (env, message) => {
    expect(configError(env)).toMatch(message);
  });

  it('builds TLS from KAFKA_TRUSTED_CERT holding several PEMs (CA rotation)', () => {
    const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----`;
    const c = loadConfig({
      KAFKA_URL: 'kafka+ssl://b1.example:9096,kafka+ssl://b2.example:9096',
      KAFKA_TRUSTED_CERT: `${pem(1)}\n${pem(2)}\n`,
      KAFKA_CLIENT_CERT: 'cert',
      KAFKA_CLIENT_CERT_KEY: 'key',
    });
    expect(c.kafka.brokers).toEqual(['b1.example:9096', 'b2.example:9096']);
    expect(c.kafka.ssl ? c.kafka.ssl.ca : []).toHaveLength(2);
    expect(
      configError({ KAFKA_URL: 'kafka+ssl://a:1', KAFKA_TRUSTED_CERT: pem(1), KAFKA_CLIENT_CERT: 'c' }),
    ).toMatch(/KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY/);
  });

  it('compiles ROUTE_PATTERNS once, anchored to the whole segment', () => {
    const [p] = loadConfig({ ROUTE_PATTERNS: '[{"pattern":"v\\\\d+","placeholder":":v"}]' }).runtime
      .routePatterns;
    expect(p?.placeholder).toBe(':v');
    expect(p?.regex.test('v12')).toBe(true);
    expect(p?.regex.test('xv12')).toBe(false);
    expect(p?.regex.test('v12x')).toBe(false);
  });

  it('gathers the timeouts and retries of the clients, the group and supervision, with env overrides', () => {
    const d = loadConfig({});
    expect(d.kafka.client).toMatchObject({ connectionTimeoutMs: 3000, requestTimeoutMs: 10_000, retries: 5 });
    expect(d.redis.client).toMatchObject({ connectTimeoutMs: 3000, commandTimeoutMs: 5000 });
    expect(d.runtime.membership).toMatchObject({ sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 });
    expect(d.runtime.supervision).toMatchObject({
      maxRestarts: DEFAULTS.RESTART_MAX,
      backoffBaseMs: 200,
      backoffMaxMs: 10_000,
      fencedRetryMs: 3000,
    });
    expect(d.runtime.partition).toMatchObject({ fetchMaxBytes: DEFAULTS.FETCH_MAX_BYTES });
    const c = loadConfig({
      KAFKA_REQUEST_TIMEOUT_MS: '20000',
      REDIS_COMMAND_TIMEOUT_MS: '700',
      GROUP_SESSION_TIMEOUT_MS: '30000',
      RESTART_BACKOFF_BASE_MS: '50',
      FENCED_RETRY_MS: '100',
      FETCH_MAX_BYTES: '262144',
      MAX_PENDING_BYTES: '4194304',
      WORKER_MAX_HEAP_MB: '96',
    });
    expect(c.kafka.client.requestTimeoutMs).toBe(20_000);
    expect(c.redis.client.commandTimeoutMs).toBe(700);
    expect(c.runtime.membership.sessionTimeoutMs).toBe(30_000);
    expect(c.runtime.supervision.backoffBaseMs).toBe(50);
    expect(c.runtime.supervision.fencedRetryMs).toBe(100);
    expect(c.runtime.partition.fetchMaxBytes).toBe(262_144);
    expect(c.runtime.partition.maxPendingBytes).toBe(4_194_304);
    expect(c.runtime.workerMaxHeapMb).toBe(96);
  });

  it('reads DRAIN_TOKEN_APPS (token=app, comma-separated) and DYNO_CAP_PER_APP', () => {
    const config = loadConfig({
      DRAIN_TOKEN_APPS: 'd.1=A.herokuapp.com, d.2=www.example.com',
      DYNO_CAP_PER_APP: '7',
    });
    expect([...config.drain.tokenApps]).toEqual([
      ['d.1', 'a.herokuapp.com'],
      ['d.2', 'www.example.com'],
    ]);
    expect(config.runtime.dynoCapPerApp).toBe(7);
    expect(loadConfig({}).drain.tokenApps.size).toBe(0);
    expect(loadConfig({}).runtime.dynoCapPerApp).toBe(100);
    expect(() => loadConfig({ DRAIN_TOKEN_APPS: 'd.1' })).toThrow(/DRAIN_TOKEN_APPS: each entry/);
    expect(() => loadConfig({ DRAIN_TOKEN_APPS: 'd.1=a,d.1=b' })).toThrow(/two apps/);
    expect(() => loadConfig({ DYNO_CAP_PER_APP: '0' })).toThrow(/DYNO_CAP_PER_APP/);
  });

  it('turns the platform topic off with an empty PLATFORM_TOPIC', () => {
    expect(loadConfig({ PLATFORM_TOPIC: '' }).topics.platform).toBeNull();
  });

  it('reads DRAIN_HOT_APPS as host → partitions, and names the mistake when it is wrong', () => {
    expect(loadConfig({}).drain.hotApps.size).toBe(0);
    const c = loadConfig({
      DRAIN_HOT_APPS: ' Big.herokuapp.com=4, www.example.com=2 ,',
      TOPIC_PARTITIONS: '6',
    });
    expect([...c.drain.hotApps]).toEqual([
      ['big.herokuapp.com', 4],
      ['www.example.com', 2],
    ]);
    const cases: Array<[string, RegExp]> = [
      ['big.herokuapp.com', /each entry must be <host>=<partitions>, got "big.herokuapp.com"/],
      ['big.herokuapp.com=x', /got "big.herokuapp.com=x"/],
      ['=3', /got "=3"/],
      [
        'big.herokuapp.com=1',
        /big.herokuapp.com=1: the number of partitions must be from 2 to TOPIC_PARTITIONS \(6\)/,
      ],
      ['big.herokuapp.com=7', /must be from 2 to TOPIC_PARTITIONS \(6\)/],
      ['a#b=2', /"a#b" is not an app host/],
      ['a.com=2,A.com=3', /a.com is listed twice/],
    ];
    for (const [value, message] of cases) {
      const m = configError({ DRAIN_HOT_APPS: value, TOPIC_PARTITIONS: '6' });
      expect(m).toMatch(/^DRAIN_HOT_APPS: /);
      expect(m).toMatch(message);
    }
  });

  it('detects hot apps by default, reads DRAIN_HOT_APP_*, and names the mistake when one is wrong', () => {
    expect(loadConfig({}).drain.hotAppDetection).toEqual({
      share: DEFAULTS.DRAIN_HOT_APP_SHARE,
      minRate: DEFAULTS.DRAIN_HOT_APP_MIN_RATE,
      shards: 4,
      intervalMs: DEFAULTS.DRAIN_HOT_APP_INTERVAL_MS,
      holdMs: DEFAULTS.DRAIN_HOT_APP_HOLD_SECONDS * 1000,
    });
    // shards default to min(4, TOPIC_PARTITIONS); one partition has nothing to spread over
    expect(loadConfig({ TOPIC_PARTITIONS: '3' }).drain.hotAppDetection!.shards).toBe(3);
    expect(loadConfig({ TOPIC_PARTITIONS: '1' }).drain.hotAppDetection).toBeNull();
    expect(loadConfig({ DRAIN_HOT_APP_SHARE: '0' }).drain.hotAppDetection).toBeNull();
    expect(
      loadConfig({
        DRAIN_HOT_APP_SHARE: '0.4',
        DRAIN_HOT_APP_MIN_RATE: '0',
        DRAIN_HOT_APP_SHARDS: '6',
        DRAIN_HOT_APP_INTERVAL_MS: '500',
        DRAIN_HOT_APP_HOLD_SECONDS: '0',
        TOPIC_PARTITIONS: '8',
      }).drain.hotAppDetection,
    ).toEqual({ share: 0.4, minRate: 0, shards: 6, intervalMs: 500, holdMs: 0 });
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ DRAIN_HOT_APP_SHARE: '1.5' }, 'DRAIN_HOT_APP_SHARE', /1/],
      [{ DRAIN_HOT_APP_SHARE: 'x' }, 'DRAIN_HOT_APP_SHARE', /number/i],
      [{ DRAIN_HOT_APP_SHARE: '0.001' }, 'DRAIN_HOT_APP_SHARE', /below 0\.01 \(0 turns detection off\)/],
      [{ DRAIN_HOT_APP_MIN_RATE: '-1' }, 'DRAIN_HOT_APP_MIN_RATE', /0/],
      [{ DRAIN_HOT_APP_SHARDS: '1' }, 'DRAIN_HOT_APP_SHARDS', /2/],
      [
        { DRAIN_HOT_APP_SHARDS: '7', TOPIC_PARTITIONS: '6' },
        'DRAIN_HOT_APP_SHARDS',
        /above TOPIC_PARTITIONS \(6\)/,
      ],
      [{ DRAIN_HOT_APP_INTERVAL_MS: '10' }, 'DRAIN_HOT_APP_INTERVAL_MS', /100/],
      [{ DRAIN_HOT_APP_HOLD_SECONDS: '1.5' }, 'DRAIN_HOT_APP_HOLD_SECONDS', /int/],
    ];
    for (const [env, variable, message] of cases) {
      const m = configError(env);
      expect(m, JSON.stringify(env)).toMatch(new RegExp(`^${variable}: `));
      expect(m, JSON.stringify(env)).toMatch(message);
    }
  });
});

describe('the README’s configuration table', () => {
  it('names every variable the config reads, and no other', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const table = section.slice(0, section.indexOf('\n## '));
    const named = new Set<string>();
    for (const row of table.split('\n').filter((l) => l.startsWith('| `')))
      for (const m of row.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) named.add(m[1]!);
    expect(CONFIG_VARIABLES.filter((v) => !named.has(v))).toEqual([]);
    expect([...named].filter((v) => !CONFIG_VARIABLES.includes(v))).toEqual([]);
  });
});
