import { z } from 'zod';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { type KafkaConnection, parseKafkaUrl } from './kafka-url.js';

/**
 * One typed config: environment in, `Config` out, validated once at startup.
 * Names follow Heroku's conventions (PORT, KAFKA_URL, KAFKA_PREFIX, REDIS_URL, …);
 * every default lives in `DEFAULTS` below. An invalid value fails fast with a
 * message naming the variable.
 */
export const DEFAULTS = {
  PORT: 5000,
  METRICS_PORT: 9464,
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_PREFIX: 'rm:',
  KAFKA_URL: 'kafka://127.0.0.1:9092',
  KAFKA_PREFIX: '',
  ROUTER_TOPIC: 'router-logs',
  PLATFORM_TOPIC: 'platform-logs',
  DYNO_SUMMARY_TOPIC: 'dyno-memory-summary',
  TOPIC_PARTITIONS: 6,
  CONSUMER_GROUP: 'routemeter',
  DRAIN_PATH: '/logs',
  DRAIN_MAX_BODY_BYTES: 1024 * 1024,
  DRAIN_DEDUPE_TTL_SECONDS: 24 * 3600,
  DRAIN_APP_OUTPUT: 'drop',
  DRAIN_PRODUCE_TIMEOUT_MS: 4000,
  DRAIN_LINGER_MS: 3,
  DRAIN_BATCH_MAX_BYTES: 512 * 1024,
  DRAIN_QUEUE_MAX_BYTES: 64 * 1024 * 1024,
  DRAIN_MAX_INFLIGHT: 256,
  DRAIN_DISCARD_MAX_BYTES: 16 * 1024 * 1024,
  DRAIN_AUTH_FAILURES_PER_MINUTE: 30,
  DRAIN_MAX_APPS_PER_DRAIN: 0,
  DRAIN_PRODUCER_THREADS: 2,
  // Hot-app detection (ingest/hot-app-detector.ts, docs/kafka-records.md "Detected hot apps"):
  // a quarter of a drain's router records from one app at 2,000 lines/s or more (about 2% of
  // a worker thread at bench/consume's 10.8 µs per record), judged every 30 s, held an hour.
  DRAIN_HOT_APP_SHARE: 0.25,
  DRAIN_HOT_APP_MIN_RATE: 2000,
  DRAIN_HOT_APP_SHARDS: 4,
  DRAIN_HOT_APP_INTERVAL_MS: 30_000,
  DRAIN_HOT_APP_HOLD_SECONDS: 3600,
  PRODUCER_COMPRESSION: 'gzip',
  WORKER_THREADS: 2,
  FLUSH_INTERVAL_MS: 1000,
  WINDOW_SECONDS: 10,
  ROLLUP_SECONDS: 60,
  WINDOW_RETENTION_SECONDS: 2 * 24 * 3600,
  ROLLUP_RETENTION_SECONDS: 30 * 24 * 3600,
  ALLOWED_LATENESS_SECONDS: 3600,
  ROUTE_CAP_PER_APP: 500,
  DYNO_CAP_PER_APP: 100,
  MAX_PENDING_RECORDS: 200_000,
  RESTART_MAX: 5,
  RESTART_WINDOW_MS: 60_000,
  SHUTDOWN_TIMEOUT_MS: 25_000,
  PROM_ROUTE_LIMIT: 200,
  API_RATE_LIMIT_PER_MINUTE: 600,
  PROM_ROUTE_EVALUATE_MS: 60_000,
  LAG_PROBE_INTERVAL_MS: 5000,
  STORE_OUTAGE_EXIT_MS: 300_000,
  LIVENESS_STALL_MS: 30_000,
  LOG_LEVEL: 'info',
  // Timeouts and retries of the clients and of supervision: one place, one default each.
  KAFKA_CONNECT_TIMEOUT_MS: 3000,
  KAFKA_REQUEST_TIMEOUT_MS: 10_000,
  KAFKA_RETRIES: 5,
  KAFKA_RETRY_INITIAL_MS: 100,
  KAFKA_RETRY_MAX_MS: 2000,
  REDIS_CONNECT_TIMEOUT_MS: 3000,
  REDIS_COMMAND_TIMEOUT_MS: 5000,
  REDIS_MAX_RETRIES_PER_REQUEST: 2,
  REDIS_RECONNECT_STEP_MS: 200,
  REDIS_RECONNECT_MAX_MS: 2000,
  GROUP_SESSION_TIMEOUT_MS: 10_000,
  GROUP_REBALANCE_TIMEOUT_MS: 30_000,
  GROUP_HEARTBEAT_INTERVAL_MS: 3000,
  GROUP_RETRIES: 10,
  GROUP_COMMIT_INTERVAL_MS: 5000,
  FETCH_MAX_WAIT_MS: 250,
  // A partition fetcher sends its next fetch before decoding the current one, so the
  // broker reads the log while the thread decodes (bench/consume measures both).
  FETCH_PREFETCH: true,
  // Bounded memory while catching up (docs/operations.md has the measurements):
  // a fetch of 1 MiB of gzip holds ~5 MiB once decoded into kafkajs messages.
  FETCH_MAX_BYTES: 1024 * 1024,
  MAX_PENDING_BYTES: 64 * 1024 * 1024,
  // A flush of more than ~5,000 deltas blocks Redis for tens of milliseconds (cost per
  // delta: the measuring test in test/sinks/redis/flush-partition.int.test.ts), so a
  // partition flushes early once its actors hold this many (route, window) states.
  MAX_OPEN_WINDOWS: 4000,
  WORKER_MAX_HEAP_MB: 160,
  RESTART_BACKOFF_BASE_MS: 200,
  RESTART_BACKOFF_MAX_MS: 10_000,
  FENCED_RETRY_MS: 3000,
  OOM_BACKOFF_MS: 5000,
  SHUTDOWN_RESERVE_MS: 5000,
  LEAVE_GROUP_TIMEOUT_MS: 2500,
} as const;

/** pino's levels: anything else would crash pino with a raw stack trace. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const schema = z.object({
  PORT: int(0, 65535).default(DEFAULTS.PORT),
  METRICS_PORT: int(0, 65535).default(DEFAULTS.METRICS_PORT),
  KAFKA_URL: z.string().min(1).default(DEFAULTS.KAFKA_URL),
  KAFKA_TRUSTED_CERT: z.string().optional(),
  KAFKA_CLIENT_CERT: z.string().optional(),
  KAFKA_CLIENT_CERT_KEY: z.string().optional(),
  KAFKA_PREFIX: z.string().default(DEFAULTS.KAFKA_PREFIX),
  REDIS_URL: z
    .string()
    // redis+cluster://host:port,host:port… selects a Redis Cluster (docs/redis-keys.md)
    .regex(
      /^rediss?(\+cluster)?:\/\//,
      'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://',
    )
    .default(DEFAULTS.REDIS_URL),
  // Redis Cluster hashes the text inside the first {…} of a key: the prefix must not
  // contain braces, or it would take the place of the per-partition hash tag.
  REDIS_PREFIX: z
    .string()
    .regex(/^[^{}]*$/, 'must not contain { or } (Redis Cluster hash tags)')
    .default(DEFAULTS.REDIS_PREFIX),
  REDIS_TLS_VERIFY: bool.default(true),
  ROUTER_TOPIC: z.string().min(1).default(DEFAULTS.ROUTER_TOPIC),
  PLATFORM_TOPIC: z.string().default(DEFAULTS.PLATFORM_TOPIC),
  DYNO_SUMMARY_TOPIC: z.string().default(DEFAULTS.DYNO_SUMMARY_TOPIC),
  TOPIC_PARTITIONS: int(1, 10_000).default(DEFAULTS.TOPIC_PARTITIONS),
  CONSUMER_GROUP: z.string().min(1).default(DEFAULTS.CONSUMER_GROUP),
  DRAIN_PATH: z.string().startsWith('/').default(DEFAULTS.DRAIN_PATH),
  DRAIN_USERS: csv.optional(),
  DRAIN_TOKENS: csv.optional(),
  DRAIN_ALLOW_OPEN: bool.default(false),
  DRAIN_MAX_BODY_BYTES: int(1024).default(DEFAULTS.DRAIN_MAX_BODY_BYTES),
  DRAIN_DEDUPE_TTL_SECONDS: int(1).default(DEFAULTS.DRAIN_DEDUPE_TTL_SECONDS),
  DRAIN_APP_OUTPUT: z.enum(['drop', 'platform']).default(DEFAULTS.DRAIN_APP_OUTPUT),
  DRAIN_PRODUCE_TIMEOUT_MS: int(100, 4900).default(DEFAULTS.DRAIN_PRODUCE_TIMEOUT_MS),
  DRAIN_LINGER_MS: int(0, 1000).default(DEFAULTS.DRAIN_LINGER_MS),
  DRAIN_BATCH_MAX_BYTES: int(1024).default(DEFAULTS.DRAIN_BATCH_MAX_BYTES),
  DRAIN_QUEUE_MAX_BYTES: int(1024).default(DEFAULTS.DRAIN_QUEUE_MAX_BYTES),
  DRAIN_MAX_INFLIGHT: int(1).default(DEFAULTS.DRAIN_MAX_INFLIGHT),
  DRAIN_DISCARD_MAX_BYTES: int(0).default(DEFAULTS.DRAIN_DISCARD_MAX_BYTES),
  DRAIN_AUTH_FAILURES_PER_MINUTE: int(1).default(DEFAULTS.DRAIN_AUTH_FAILURES_PER_MINUTE),
  DRAIN_TRUST_PROXY: bool.default(false),
  DRAIN_APPS: z.string().optional(),
  DRAIN_TOKEN_APPS: z.string().optional(),
  DRAIN_MAX_APPS_PER_DRAIN: int(0).default(DEFAULTS.DRAIN_MAX_APPS_PER_DRAIN),
  DRAIN_HOT_APPS: z.string().optional(),
  DRAIN_HOT_APP_SHARE: z.coerce.number().min(0).max(1).default(DEFAULTS.DRAIN_HOT_APP_SHARE),
  DRAIN_HOT_APP_MIN_RATE: int(0).default(DEFAULTS.DRAIN_HOT_APP_MIN_RATE),
  DRAIN_HOT_APP_SHARDS: int(2, 10_000).optional(),
  DRAIN_HOT_APP_INTERVAL_MS: int(100, 3_600_000).default(DEFAULTS.DRAIN_HOT_APP_INTERVAL_MS),
  DRAIN_HOT_APP_HOLD_SECONDS: int(0).default(DEFAULTS.DRAIN_HOT_APP_HOLD_SECONDS),
  DRAIN_PRODUCER_THREADS: int(1, 16).default(DEFAULTS.DRAIN_PRODUCER_THREADS),
  PRODUCER_COMPRESSION: z
    .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
    .default(DEFAULTS.PRODUCER_COMPRESSION),
  WORKER_THREADS: int(1, 256).default(DEFAULTS.WORKER_THREADS),
  FLUSH_INTERVAL_MS: int(10).default(DEFAULTS.FLUSH_INTERVAL_MS),
  WINDOW_SECONDS: int(1, 3600).default(DEFAULTS.WINDOW_SECONDS),
  ROLLUP_SECONDS: int(1, 86_400).default(DEFAULTS.ROLLUP_SECONDS),
  WINDOW_RETENTION_SECONDS: int(60).default(DEFAULTS.WINDOW_RETENTION_SECONDS),
  ROLLUP_RETENTION_SECONDS: int(60).default(DEFAULTS.ROLLUP_RETENTION_SECONDS),
  ALLOWED_LATENESS_SECONDS: int(0).default(DEFAULTS.ALLOWED_LATENESS_SECONDS),
  ROUTE_CAP_PER_APP: int(1).default(DEFAULTS.ROUTE_CAP_PER_APP),
  DYNO_CAP_PER_APP: int(1).default(DEFAULTS.DYNO_CAP_PER_APP),
  ROUTE_PATTERNS: z.string().optional(),
  MAX_PENDING_RECORDS: int(1000).default(DEFAULTS.MAX_PENDING_RECORDS),
  RESTART_MAX: int(0).default(DEFAULTS.RESTART_MAX),
  RESTART_WINDOW_MS: int(1000).default(DEFAULTS.RESTART_WINDOW_MS),
  SHUTDOWN_TIMEOUT_MS: int(1000, 29_000).default(DEFAULTS.SHUTDOWN_TIMEOUT_MS),
  PROM_ROUTE_LIMIT: int(0).default(DEFAULTS.PROM_ROUTE_LIMIT),
  API_TOKENS: csv.optional(),
  API_USERS: csv.optional(),
  API_ALLOW_OPEN: bool.default(false),
  API_RATE_LIMIT_PER_MINUTE: int(1).default(DEFAULTS.API_RATE_LIMIT_PER_MINUTE),
  API_CORS_ORIGINS: csv.optional(),
  ROUTEMETER_WEB: z.enum(['drain', 'serve']).default('drain'),
  PROM_ROUTE_EVALUATE_MS: int(1000).default(DEFAULTS.PROM_ROUTE_EVALUATE_MS),
  LAG_PROBE_INTERVAL_MS: int(100, 600_000).default(DEFAULTS.LAG_PROBE_INTERVAL_MS),
  STORE_OUTAGE_EXIT_MS: int(0).default(DEFAULTS.STORE_OUTAGE_EXIT_MS),
  LIVENESS_STALL_MS: int(1000).default(DEFAULTS.LIVENESS_STALL_MS),
  REPLAY_TARGET_BASIC_AUTH: z
    .string()
    .regex(/^[^:]+:.*$/, 'must be user:password')
    .optional(),
  REPLAY_TARGET_BEARER_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULTS.LOG_LEVEL),
  KAFKA_CONNECT_TIMEOUT_MS: int(100).default(DEFAULTS.KAFKA_CONNECT_TIMEOUT_MS),
  KAFKA_REQUEST_TIMEOUT_MS: int(100).default(DEFAULTS.KAFKA_REQUEST_TIMEOUT_MS),
  KAFKA_RETRIES: int(0, 100).default(DEFAULTS.KAFKA_RETRIES),
  REDIS_CONNECT_TIMEOUT_MS: int(100).default(DEFAULTS.REDIS_CONNECT_TIMEOUT_MS),
  REDIS_COMMAND_TIMEOUT_MS: int(100).default(DEFAULTS.REDIS_COMMAND_TIMEOUT_MS),
  GROUP_SESSION_TIMEOUT_MS: int(1000).default(DEFAULTS.GROUP_SESSION_TIMEOUT_MS),
  GROUP_REBALANCE_TIMEOUT_MS: int(1000).default(DEFAULTS.GROUP_REBALANCE_TIMEOUT_MS),
  GROUP_HEARTBEAT_INTERVAL_MS: int(100).default(DEFAULTS.GROUP_HEARTBEAT_INTERVAL_MS),
  FETCH_MAX_WAIT_MS: int(1, 10_000).default(DEFAULTS.FETCH_MAX_WAIT_MS),
  FETCH_MAX_BYTES: int(64 * 1024).default(DEFAULTS.FETCH_MAX_BYTES),
  FETCH_PREFETCH: bool.default(DEFAULTS.FETCH_PREFETCH),
  MAX_PENDING_BYTES: int(1024 * 1024).default(DEFAULTS.MAX_PENDING_BYTES),
  WORKER_MAX_HEAP_MB: int(0).default(DEFAULTS.WORKER_MAX_HEAP_MB),
  RESTART_BACKOFF_BASE_MS: int(1).default(DEFAULTS.RESTART_BACKOFF_BASE_MS),
  RESTART_BACKOFF_MAX_MS: int(1).default(DEFAULTS.RESTART_BACKOFF_MAX_MS),
  FENCED_RETRY_MS: int(0).default(DEFAULTS.FENCED_RETRY_MS),
  OOM_BACKOFF_MS: int(0).default(DEFAULTS.OOM_BACKOFF_MS),
});

type Env = z.infer<typeof schema>;

/** Every environment variable the config reads (app.json and deploy/kubernetes are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config {
  port: number;
  metricsPort: number;
  kafka: KafkaConnection & { prefix: string; client: KafkaClientSettings };
  redis: { url: string; prefix: string; tlsVerify: boolean; client: RedisClientSettings };
  topics: {
    router: string;
    platform: string | null;
    /** compacted topic of each dyno's latest memory sample (runtime/dyno-summary-publisher.ts); null when off or without a platform topic */
    dynoSummary: string | null;
    partitions: number;
  };
  consumerGroup: string;
  drain: {
    path: string;
    users: Array<{ user: string; password: string }>;
    tokens: string[];
    allowOpen: boolean;
    maxBodyBytes: number;
    dedupeTtlSeconds: number;
    appOutput: 'drop' | 'platform';
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
    /** a batch is answered (2xx or 503) within this many ms of its request's start: logplex gives up at 5 s */
    produceTimeoutMs: number;
    /** how long the producer waits for concurrent requests' lines to share one produce call */
    lingerMs: number;
    /** upper bound of one produce call's records, in bytes */
    batchMaxBytes: number;
    /** bytes waiting for Kafka past which new batches get 503 (producer saturated) */
    queueMaxBytes: number;
    /** requests on the drain path being read or produced at once; past it, 503 before the body is read */
    maxInflight: number;
    /** a refused body (413, 401, 429, 503 before reading) is read and thrown away up to this many bytes, so a client that writes before it reads sees the answer */
    discardMaxBytes: number;
    /** failed authentications per client address per minute before that address gets 429 */
    authFailuresPerMinute: number;
    /** take the client address from the last `X-Forwarded-For` entry (behind Heroku's router) */
    trustProxy: boolean;
    /** drain identity (DRAIN_USERS user or Logplex-Drain-Token) → the app hosts it may write; empty = any */
    apps: Map<string, Set<string>>;
    /** distinct app hosts one drain identity may write (0 = no cap) */
    maxAppsPerDrain: number;
    /** DRAIN_HOT_APPS: app host (lower case) → k, the partitions its router records are spread over (`host#s` keys) */
    hotApps: Map<string, number>;
    /** detecting hot apps (DRAIN_HOT_APP_*); null = off (DRAIN_HOT_APP_SHARE=0, or one partition) */
    hotAppDetection: HotAppDetection | null;
    /** producer threads, each with its own idempotent producer and one produce call in flight; a request goes whole to one of them */
    producerThreads: number;
    /**
     * Logplex-Drain-Token → the app (router `host=`) its platform lines belong to
     * (DRAIN_TOKEN_APPS); read by the drain (the `app` header) and by the runtime's
     * platform partitions (records without the header). See docs/dyno-metrics.md.
     */
    tokenApps: Map<string, string>;
  };
  runtime: {
    workerThreads: number;
    flushIntervalMs: number;
    windowSeconds: number;
    rollupSeconds: number;
    windowRetentionSeconds: number;
    rollupRetentionSeconds: number;
    allowedLatenessSeconds: number;
    routeCapPerApp: number;
    /** distinct dynos per app per roll-up generation on a platform partition; the rest count as `overflow` */
    dynoCapPerApp: number;
    /**
     * user route patterns from ROUTE_PATTERNS (a JSON array of
     * `{"pattern": "<regex for one path segment>", "placeholder": ":name"}`), checked
     * and compiled here once; see actors/route-template.ts
     */
    routePatterns: Array<{ pattern: string; placeholder: string; regex: RegExp }>;
    maxPendingRecords: number;
    shutdownTimeoutMs: number;
    promRouteLimit: number;
    /** how often the exported per-route Prometheus series are chosen again by traffic */
    promRouteEvaluateMs: number;
    /** how often the log-end offsets are fetched (ListOffsets) for the lag gauge and Kafka readiness */
    lagProbeIntervalMs: number;
    /** the process exits non-zero after this long without its store (Redis); 0 = never */
    storeOutageExitMs: number;
    /** a worker thread (or the main event loop) silent this long makes /healthz fail */
    livenessStallMs: number;
    /** how each partition consumer fetches and bounds its memory */
    partition: PartitionSettings;
    /** the real consumer group (the fleet's membership) */
    membership: MembershipSettings;
    supervision: SupervisionSettings;
    /** heap cap of each worker thread (MiB, `resourceLimits.maxOldGenerationSizeMb`); 0 = Node's default */
    workerMaxHeapMb: number;
  };
  /** `routemeter serve`: the query API and dashboard (src/api) */
  api: {
    /** bearer tokens; `apps` null = every app, else only these (others answer 404) */
    tokens: Array<{ token: string; apps: string[] | null }>;
    /** HTTP Basic users (every app) */
    users: Array<{ user: string; password: string }>;
    /** explicitly serve the API without credentials */
    allowOpen: boolean;
    /** requests per minute per client (token, user, or IP when open) */
    rateLimitPerMinute: number;
    /** origins allowed by CORS; empty = no CORS headers at all */
    corsOrigins: string[];
  };
  /**
   * what `routemeter web` (the Procfile's `web`, the only process Heroku routes HTTP to)
   * runs: the drain, or the API and dashboard in a second app that shares the add-ons
   */
  web: 'drain' | 'serve';
  /** credentials `routemeter replay` sends to its target (never on the command line: `ps` shows it) */
  replay: { basicAuth: string | null; bearerToken: string | null };
  logLevel: LogLevel;
}

export interface KafkaClientSettings {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
}

export interface RedisClientSettings {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  maxRetriesPerRequest: number;
  /** reconnect after min(attempt · step, max) ms */
  reconnectStepMs: number;
  reconnectMaxMs: number;
}

export interface PartitionSettings {
  /** how long the broker may hold a fetch while it has fewer than fetchMinBytes */
  fetchMaxWaitMs: number;
  fetchMinBytes: number;
  /** one fetch of one partition, compressed bytes (the request's max_bytes and partition_max_bytes) */
  fetchMaxBytes: number;
  /** send the next fetch before decoding the current one */
  fetchPrefetch: boolean;
  /** fetched-but-unflushed record bytes per worker thread past which its partitions pause */
  maxPendingBytes: number;
  /** (route, window) states per flush above which a flush starts early: one Lua step stays well under 100 ms */
  maxOpenWindows: number;
  /** bad records are explained in the log at most this often per partition */
  badRecordLogIntervalMs: number;
  /** how long a fetcher may take to close when its partition stops */
  disconnectTimeoutMs: number;
  /** pause between final-flush attempts during a stop */
  finalFlushRetryMs: number;
}

export interface MembershipSettings {
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  retries: number;
  /** flushed offsets are committed to the group this often (for lag tools) */
  commitIntervalMs: number;
}

/** The supervision policy's numbers (runtime/supervision-decider.ts reads them). */
export interface SupervisionSettings {
  /** restarts (of workers and of failed partitions) allowed within `windowMs` before escalating */
  maxRestarts: number;
  windowMs: number;
  /** exponential backoff: base · 2^(n-1), capped */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** a fenced partition that the group still gives us is claimed again after this */
  fencedRetryMs: number;
  /** least wait before restarting a worker that ran out of memory */
  oomBackoffMs: number;
  /** the workers' share of the shutdown budget is the budget minus this (the group leave and commits) */
  shutdownReserveMs: number;
  /** how long leaving the consumer group may take at shutdown */
  leaveGroupTimeoutMs: number;
}

/**
 * `ROUTE_PATTERNS` is a JSON array of `{ "pattern": "<regex for one path segment>", "placeholder": ":name" }`,
 * e.g. `[{"pattern":"[a-z]+-[a-z]+","placeholder":":slug"}]`. Each pattern is anchored at both ends of
 * the segment and compiled here, once; the placeholder must be non-empty and contain no "/".
 */
function parseRoutePatterns(
  raw: string | undefined,
): Array<{ pattern: string; placeholder: string; regex: RegExp }> {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new RoutemeterError('RM_ERR_CONFIG', `ROUTE_PATTERNS: not valid JSON (${(err as Error).message})`);
  }
  const result = z
    .array(z.object({ pattern: z.string().min(1), placeholder: z.string().min(1) }))
    .safeParse(parsed);
  if (!result.success) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `ROUTE_PATTERNS: expected [{"pattern": "...", "placeholder": ":x"}]`,
    );
  }
  return result.data.map((p, i) => {
    if (p.placeholder.includes('/')) {
      throw new RoutemeterError('RM_ERR_CONFIG', `ROUTE_PATTERNS[${i}].placeholder must not contain "/"`);
    }
    try {
      return { ...p, regex: new RegExp(`^(?:${p.pattern})$`) };
    } catch (err) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `ROUTE_PATTERNS: bad regex ${p.pattern} (${(err as Error).message})`,
      );
    }
  });
}

/** Checks that involve more than one variable; each message names the variables. */
function checkCrossFields(e: Env): void {
  if (e.ROLLUP_SECONDS % e.WINDOW_SECONDS !== 0) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `ROLLUP_SECONDS: ${e.ROLLUP_SECONDS} is not a multiple of WINDOW_SECONDS (${e.WINDOW_SECONDS})`,
      { details: { variable: 'ROLLUP_SECONDS' } },
    );
  }
  if (e.RESTART_BACKOFF_MAX_MS < e.RESTART_BACKOFF_BASE_MS) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `RESTART_BACKOFF_MAX_MS: ${e.RESTART_BACKOFF_MAX_MS} is below RESTART_BACKOFF_BASE_MS (${e.RESTART_BACKOFF_BASE_MS})`,
      { details: { variable: 'RESTART_BACKOFF_MAX_MS' } },
    );
  }
  if (e.GROUP_HEARTBEAT_INTERVAL_MS >= e.GROUP_SESSION_TIMEOUT_MS) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `GROUP_HEARTBEAT_INTERVAL_MS: ${e.GROUP_HEARTBEAT_INTERVAL_MS} must be below GROUP_SESSION_TIMEOUT_MS (${e.GROUP_SESSION_TIMEOUT_MS})`,
      { details: { variable: 'GROUP_HEARTBEAT_INTERVAL_MS' } },
    );
  }
  if (e.MAX_PENDING_BYTES < 2 * e.FETCH_MAX_BYTES) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      `MAX_PENDING_BYTES: ${e.MAX_PENDING_BYTES} must be at least twice FETCH_MAX_BYTES (${e.FETCH_MAX_BYTES})`,
      { details: { variable: 'MAX_PENDING_BYTES' } },
    );
  }
}

/**
 * `DRAIN_APPS` ties drain identities to the apps they may write:
 * `logplex=app1.herokuapp.com|app2.herokuapp.com;d.6a1c…=www.example.com`
 * (identity = a DRAIN_USERS user name or a Logplex-Drain-Token; hosts as in the router line's `host=`).
 */
function parseDrainApps(raw: string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (raw === undefined || raw.trim() === '') return out;
  for (const entry of raw.split(';')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const who = eq < 0 ? '' : entry.slice(0, eq).trim();
    const hosts =
      eq < 0
        ? []
        : entry
            .slice(eq + 1)
            .split('|')
            .map((h) => h.trim().toLowerCase())
            .filter((h) => h !== '');
    if (who === '' || hosts.length === 0) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `DRAIN_APPS: each entry must be <user or drain token>=<host>|<host>…, got "${entry.trim()}"`,
        { details: { variable: 'DRAIN_APPS' } },
      );
    }
    out.set(who, new Set([...(out.get(who) ?? []), ...hosts]));
  }
  return out;
}

/**
 * `DRAIN_HOT_APPS` spreads named apps over several partitions (ingest/hot-app-keys.ts):
 * `big.herokuapp.com=4,www.example.com=2` (host as in the router line's `host=`, k from 2
 * to TOPIC_PARTITIONS).
 */
export function parseHotApps(raw: string | undefined, partitions: number): Map<string, number> {
  const out = new Map<string, number>();
  if (raw === undefined || raw.trim() === '') return out;
  const fail = (why: string) =>
    new RoutemeterError('RM_ERR_CONFIG', `DRAIN_HOT_APPS: ${why}`, {
      details: { variable: 'DRAIN_HOT_APPS' },
    });
  for (const entry of raw.split(',')) {
    const e = entry.trim();
    if (e === '') continue;
    const eq = e.lastIndexOf('=');
    const host = eq < 0 ? '' : e.slice(0, eq).trim().toLowerCase();
    const kText = eq < 0 ? '' : e.slice(eq + 1).trim();
    if (host === '' || !/^\d+$/.test(kText)) throw fail(`each entry must be <host>=<partitions>, got "${e}"`);
    if (/[\s#=]/.test(host)) throw fail(`"${host}" is not an app host (no spaces, '#' or '=')`);
    const k = Number(kText);
    if (k < 2 || k > partitions) {
      throw fail(
        `${host}=${kText}: the number of partitions must be from 2 to TOPIC_PARTITIONS (${partitions})`,
      );
    }
    if (out.has(host)) throw fail(`${host} is listed twice`);
    out.set(host, k);
  }
  return out;
}

/** What the drain needs to detect hot apps (ingest/hot-app-detector.ts). */
export interface HotAppDetection {
  /** DRAIN_HOT_APP_SHARE: share of the drain process's router records over an interval */
  share: number;
  /** DRAIN_HOT_APP_MIN_RATE: the app's router records per second (in one drain process) below which it is never hot */
  minRate: number;
  /** DRAIN_HOT_APP_SHARDS: partitions a detected app is spread over (default min(4, TOPIC_PARTITIONS)) */
  shards: number;
  /** DRAIN_HOT_APP_INTERVAL_MS: how often shares are judged (each process on its own) */
  intervalMs: number;
  /** DRAIN_HOT_APP_HOLD_SECONDS: a hot app stays hot until it has not kept half the share and rate for this long */
  holdMs: number;
}

/**
 * DRAIN_HOT_APP_*: on unless DRAIN_HOT_APP_SHARE=0; off with one partition (nothing to
 * spread over) unless DRAIN_HOT_APP_SHARDS asks for more partitions than there are.
 */
function hotAppDetection(e: Env): HotAppDetection | null {
  const fail = (variable: string, why: string) =>
    new RoutemeterError('RM_ERR_CONFIG', `${variable}: ${why}`, { details: { variable } });
  if (e.DRAIN_HOT_APP_SHARDS !== undefined && e.DRAIN_HOT_APP_SHARDS > e.TOPIC_PARTITIONS) {
    throw fail(
      'DRAIN_HOT_APP_SHARDS',
      `${e.DRAIN_HOT_APP_SHARDS} is above TOPIC_PARTITIONS (${e.TOPIC_PARTITIONS}): a detected app is spread over 2 to TOPIC_PARTITIONS partitions`,
    );
  }
  const share = e.DRAIN_HOT_APP_SHARE;
  if (share === 0) return null;
  // Below 1%, the bounded counters (max(64, 4/share) apps) would grow past a few hundred.
  if (share < 0.01) throw fail('DRAIN_HOT_APP_SHARE', `${share} is below 0.01 (0 turns detection off)`);
  if (e.TOPIC_PARTITIONS < 2) return null;
  return {
    share,
    minRate: e.DRAIN_HOT_APP_MIN_RATE,
    shards: e.DRAIN_HOT_APP_SHARDS ?? Math.min(DEFAULTS.DRAIN_HOT_APP_SHARDS, e.TOPIC_PARTITIONS),
    intervalMs: e.DRAIN_HOT_APP_INTERVAL_MS,
    holdMs: e.DRAIN_HOT_APP_HOLD_SECONDS * 1000,
  };
}

/**
 * `DRAIN_TOKEN_APPS` names the app of each drain token, for platform lines (which do
 * not name their app): `d.6b1f0e2a-…=quiet-reef-12345.herokuapp.com,d.0c5d…=www.example.com`
 * (the app as the router line's `host=` writes it, in lower case).
 */
function parseTokenApps(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === undefined || raw.trim() === '') return out;
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const token = eq < 0 ? '' : entry.slice(0, eq).trim();
    const app =
      eq < 0
        ? ''
        : entry
            .slice(eq + 1)
            .trim()
            .toLowerCase();
    if (token === '' || app === '' || /[\s|;=]/.test(app)) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `DRAIN_TOKEN_APPS: each entry must be <drain token>=<app host>, got "${entry.trim()}"`,
        { details: { variable: 'DRAIN_TOKEN_APPS' } },
      );
    }
    const known = out.get(token);
    if (known !== undefined && known !== app) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `DRAIN_TOKEN_APPS: token ${token} is given two apps (${known}, ${app})`,
        { details: { variable: 'DRAIN_TOKEN_APPS' } },
      );
    }
    out.set(token, app);
  }
  return out;
}

/** `API_TOKENS`: `token` (every app) or `token:app1|app2` (only those apps), comma-separated. */
function parseTokens(list: string[] | undefined): Array<{ token: string; apps: string[] | null }> {
  return (list ?? []).map((entry) => {
    const i = entry.indexOf(':');
    const token = i < 0 ? entry : entry.slice(0, i);
    const apps =
      i < 0
        ? null
        : entry
            .slice(i + 1)
            .split('|')
            .filter((a) => a.length > 0);
    if (token.length < 16)
      throw new RoutemeterError('RM_ERR_CONFIG', 'API_TOKENS: each token must be at least 16 characters', {
        details: { variable: 'API_TOKENS' },
      });
    if (apps !== null && apps.length === 0)
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        'API_TOKENS: token:apps needs at least one app after the colon',
        {
          details: { variable: 'API_TOKENS' },
        },
      );
    return { token, apps };
  });
}

function parseUsers(
  list: string[] | undefined,
  variable = 'DRAIN_USERS',
): Array<{ user: string; password: string }> {
  return (list ?? []).map((entry) => {
    const i = entry.indexOf(':');
    if (i <= 0) throw new RoutemeterError('RM_ERR_CONFIG', `${variable}: each entry must be user:password`);
    return { user: entry.slice(0, i), password: entry.slice(i + 1) };
  });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as they do on Heroku when a var is cleared.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  if (env.PLATFORM_TOPIC === '') cleaned.PLATFORM_TOPIC = '';
  if (env.DYNO_SUMMARY_TOPIC === '') cleaned.DYNO_SUMMARY_TOPIC = '';

  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = issue.path.join('.');
    throw new RoutemeterError('RM_ERR_CONFIG', `${variable}: ${issue.message}`, { details: { variable } });
  }
  const e = result.data;
  checkCrossFields(e);
  const kafka = parseKafkaUrl(e.KAFKA_URL, {
    trustedCert: e.KAFKA_TRUSTED_CERT,
    clientCert: e.KAFKA_CLIENT_CERT,
    clientCertKey: e.KAFKA_CLIENT_CERT_KEY,
  });
  return {
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    kafka: {
      ...kafka,
      prefix: e.KAFKA_PREFIX,
      client: {
        connectionTimeoutMs: e.KAFKA_CONNECT_TIMEOUT_MS,
        requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
        retries: e.KAFKA_RETRIES,
        initialRetryTimeMs: DEFAULTS.KAFKA_RETRY_INITIAL_MS,
        maxRetryTimeMs: DEFAULTS.KAFKA_RETRY_MAX_MS,
      },
    },
    redis: {
      url: e.REDIS_URL,
      prefix: e.REDIS_PREFIX,
      tlsVerify: e.REDIS_TLS_VERIFY,
      client: {
        connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
        commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: DEFAULTS.REDIS_MAX_RETRIES_PER_REQUEST,
        reconnectStepMs: DEFAULTS.REDIS_RECONNECT_STEP_MS,
        reconnectMaxMs: DEFAULTS.REDIS_RECONNECT_MAX_MS,
      },
    },
    topics: {
      router: e.KAFKA_PREFIX + e.ROUTER_TOPIC,
      platform: e.PLATFORM_TOPIC === '' ? null : e.KAFKA_PREFIX + e.PLATFORM_TOPIC,
      dynoSummary:
        e.PLATFORM_TOPIC === '' || e.DYNO_SUMMARY_TOPIC === '' ? null : e.KAFKA_PREFIX + e.DYNO_SUMMARY_TOPIC,
      partitions: e.TOPIC_PARTITIONS,
    },
    consumerGroup: e.KAFKA_PREFIX + e.CONSUMER_GROUP,
    drain: {
      path: e.DRAIN_PATH,
      users: parseUsers(e.DRAIN_USERS),
      tokens: e.DRAIN_TOKENS ?? [],
      allowOpen: e.DRAIN_ALLOW_OPEN,
      maxBodyBytes: e.DRAIN_MAX_BODY_BYTES,
      dedupeTtlSeconds: e.DRAIN_DEDUPE_TTL_SECONDS,
      appOutput: e.DRAIN_APP_OUTPUT,
      compression: e.PRODUCER_COMPRESSION,
      produceTimeoutMs: e.DRAIN_PRODUCE_TIMEOUT_MS,
      lingerMs: e.DRAIN_LINGER_MS,
      batchMaxBytes: e.DRAIN_BATCH_MAX_BYTES,
      queueMaxBytes: e.DRAIN_QUEUE_MAX_BYTES,
      maxInflight: e.DRAIN_MAX_INFLIGHT,
      discardMaxBytes: e.DRAIN_DISCARD_MAX_BYTES,
      authFailuresPerMinute: e.DRAIN_AUTH_FAILURES_PER_MINUTE,
      trustProxy: e.DRAIN_TRUST_PROXY,
      apps: parseDrainApps(e.DRAIN_APPS),
      maxAppsPerDrain: e.DRAIN_MAX_APPS_PER_DRAIN,
      hotApps: parseHotApps(e.DRAIN_HOT_APPS, e.TOPIC_PARTITIONS),
      hotAppDetection: hotAppDetection(e),
      producerThreads: e.DRAIN_PRODUCER_THREADS,
      tokenApps: parseTokenApps(e.DRAIN_TOKEN_APPS),
    },
    runtime: {
      workerThreads: e.WORKER_THREADS,
      flushIntervalMs: e.FLUSH_INTERVAL_MS,
      windowSeconds: e.WINDOW_SECONDS,
      rollupSeconds: e.ROLLUP_SECONDS,
      windowRetentionSeconds: e.WINDOW_RETENTION_SECONDS,
      rollupRetentionSeconds: e.ROLLUP_RETENTION_SECONDS,
      allowedLatenessSeconds: e.ALLOWED_LATENESS_SECONDS,
      routeCapPerApp: e.ROUTE_CAP_PER_APP,
      dynoCapPerApp: e.DYNO_CAP_PER_APP,
      routePatterns: parseRoutePatterns(e.ROUTE_PATTERNS),
      maxPendingRecords: e.MAX_PENDING_RECORDS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      promRouteLimit: e.PROM_ROUTE_LIMIT,
      promRouteEvaluateMs: e.PROM_ROUTE_EVALUATE_MS,
      lagProbeIntervalMs: e.LAG_PROBE_INTERVAL_MS,
      storeOutageExitMs: e.STORE_OUTAGE_EXIT_MS,
      livenessStallMs: e.LIVENESS_STALL_MS,
      partition: {
        fetchMaxWaitMs: e.FETCH_MAX_WAIT_MS,
        fetchMinBytes: 1,
        fetchMaxBytes: e.FETCH_MAX_BYTES,
        fetchPrefetch: e.FETCH_PREFETCH,
        maxPendingBytes: e.MAX_PENDING_BYTES,
        maxOpenWindows: DEFAULTS.MAX_OPEN_WINDOWS,
        badRecordLogIntervalMs: 10_000,
        disconnectTimeoutMs: 5000,
        finalFlushRetryMs: 250,
      },
      membership: {
        sessionTimeoutMs: e.GROUP_SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: e.GROUP_REBALANCE_TIMEOUT_MS,
        heartbeatIntervalMs: e.GROUP_HEARTBEAT_INTERVAL_MS,
        maxWaitTimeMs: 1000,
        retries: DEFAULTS.GROUP_RETRIES,
        commitIntervalMs: DEFAULTS.GROUP_COMMIT_INTERVAL_MS,
      },
      supervision: {
        maxRestarts: e.RESTART_MAX,
        windowMs: e.RESTART_WINDOW_MS,
        backoffBaseMs: e.RESTART_BACKOFF_BASE_MS,
        backoffMaxMs: e.RESTART_BACKOFF_MAX_MS,
        fencedRetryMs: e.FENCED_RETRY_MS,
        oomBackoffMs: e.OOM_BACKOFF_MS,
        shutdownReserveMs: DEFAULTS.SHUTDOWN_RESERVE_MS,
        leaveGroupTimeoutMs: DEFAULTS.LEAVE_GROUP_TIMEOUT_MS,
      },
      workerMaxHeapMb: e.WORKER_MAX_HEAP_MB,
    },
    replay: {
      basicAuth: e.REPLAY_TARGET_BASIC_AUTH ?? null,
      bearerToken: e.REPLAY_TARGET_BEARER_TOKEN ?? null,
    },
    api: {
      tokens: parseTokens(e.API_TOKENS),
      users: parseUsers(e.API_USERS, 'API_USERS'),
      allowOpen: e.API_ALLOW_OPEN,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      corsOrigins: e.API_CORS_ORIGINS ?? [],
    },
    web: e.ROUTEMETER_WEB,
    logLevel: e.LOG_LEVEL,
  };
}
