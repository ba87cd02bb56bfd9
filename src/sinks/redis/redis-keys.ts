/**
 * The Redis key schema (docs/redis-keys.md has the full picture). `prefix` is
 * Config.redis.prefix (default "rm:"), so several installations or tests can
 * share one Redis.
 *
 *   {p}off:{topic}:{partition}         hash  next, epoch, wm, at          no TTL
 *   {p}offp:{topic}                    set   partitions ever claimed      no TTL
 *   {p}apps                            zset  app → last window start (s)  longest retention
 *   {p}wi:{res}:{app}                  zset  window starts (s)            retention of res
 *   {p}w:{res}:{app}:{windowStart}     hash  "<route>|<field>" → value    retention of res
 *   {p}drain:frame:{token}:{frameId}   string  in-flight marker, then "done"  DRAIN_DEDUPE_TTL_SECONDS
 */
export function offsetKey(prefix: string, topic: string, partition: number): string {
  return `${prefix}off:${topic}:${partition}`;
}

export function partitionsKey(prefix: string, topic: string): string {
  return `${prefix}offp:${topic}`;
}

/** The drain's dedupe of logplex retries: one key per drain token and `Logplex-Frame-Id` (ingest/frame-dedupe.ts). */
export function frameKey(prefix: string, drainToken: string, frameId: string): string {
  return `${prefix}drain:frame:${drainToken}:${frameId}`;
}

export function appsKey(prefix: string): string {
  return `${prefix}apps`;
}

export function windowIndexKey(prefix: string, resolutionSeconds: number, app: string): string {
  return `${prefix}wi:${resolutionSeconds}:${app}`;
}

export function windowKey(
  prefix: string,
  resolutionSeconds: number,
  app: string,
  windowStart: number,
): string {
  return `${prefix}w:${resolutionSeconds}:${app}:${windowStart}`;
}

/**
 * Fields of a window hash: four per route, `<route>|<suffix>` (split at the LAST
 * `|`; templating escapes `|` in paths, so a route never contains one, but the
 * reader does not depend on it). Fields that would be empty are not written.
 *
 *   <route>|s    stats: msgpack array of numbers in STATS order below
 *   <route>|e    error codes: msgpack map {"503": 4, "H12": 3} (statuses >= 400, router codes)
 *   <route>|hs   service-time histogram: msgpack [value, count, …] (sparse-histogram.ts)
 *   <route>|hc   connect-time histogram, same encoding
 *
 * Values are MessagePack so that the flush script merges them with Lua's C
 * `cmsgpack` instead of parsing text (msgpack.ts).
 *
 * One packed stats field instead of one field per counter: a flush then costs
 * one HMGET and one HSET per chunk of routes instead of a dozen HINCRBYs per
 * route, and Redis stores a quarter of the fields. Merging is element-wise sum,
 * except `serviceMax` (max); a shorter vector is padded with zeros, so fields
 * can be appended to STATS later without migrating stored data.
 */
export const FIELD = {
  stats: 's',
  codes: 'e',
  serviceHistogram: 'hs',
  connectHistogram: 'hc',
} as const;

export const STATS = [
  'count',
  'serviceSumMs',
  'serviceCount',
  'serviceMaxMs',
  'connectSumMs',
  'connectCount',
  'bytes',
  'status1xx',
  'status2xx',
  'status3xx',
  'status4xx',
  'status5xx',
  'statusOther',
] as const;

/** index of the one element merged by max (1-based in Lua: 4) */
export const STATS_MAX_INDEX = 3;
