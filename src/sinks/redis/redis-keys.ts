/**
 * The Redis key schema (docs/redis-keys.md has the full picture). `prefix` is
 * Config.redis.prefix (default "rm:"), so several installations or tests can
 * share one Redis. `{t:P}` is the partition's hash tag (topic, partition):
 *
 *   {p}off:{t:P}                       hash  next, epoch, wm, at          no TTL
 *   {p}apps:{t:P}                      zset  app → last window start (s)  longest retention
 *   {p}wi:{t:P}:{res}:{app}            zset  window starts (s)            retention of res
 *   {p}w:{t:P}:{res}:{app}:{start}     hash  "<route>|<field>" → value    retention of res
 *   {p}parts                           set   "topic:partition" ever claimed  no TTL
 *   platform (dyno) partitions, same offsets hash and claim:
 *   {p}dapps:{t:P}                     zset  app → last window start (s)  longest retention
 *   {p}dwi:{t:P}:{res}:{app}           zset  window starts (s)            retention of res
 *   {p}dw:{t:P}:{res}:{app}:{start}    hash  "<dyno>|<field>" → value     retention of res
 *   {p}dyn:{t:P}:{app}                 hash  dyno → latest sample         longest retention
 *   {p}drain:frame:{token}:{frameId}   string  in-flight marker, then "done"  DRAIN_DEDUPE_TTL_SECONDS
 *
 * Every key one flush touches carries the same hash tag, so on Redis Cluster they
 * live in one slot and the flush stays ONE atomic script (a script may only touch
 * keys of one slot). The same layout is used on a single Redis, where the tag is
 * just part of the name. The read side finds an app through the per-partition
 * `apps` indexes (one ZSCORE per partition listed in `parts`), never by SCAN, and
 * merges what several partitions hold for the app.
 *
 * Redis Cluster hashes the text between the FIRST `{` and the next `}`, so the
 * prefix must not contain braces (config.ts rejects them) and the tag comes right
 * after the key's kind. Kafka topic names are [a-zA-Z0-9._-], never ':' or braces.
 */
export function partitionTag(topic: string, partition: number): string {
  return `{${topic}:${partition}}`;
}

/** `topic:partition`, the member of the `parts` set (split at the last ':') */
export function partitionMember(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export function parsePartitionMember(member: string): { topic: string; partition: number } {
  const colon = member.lastIndexOf(':');
  return { topic: member.slice(0, colon), partition: Number(member.slice(colon + 1)) };
}

export function offsetKey(prefix: string, topic: string, partition: number): string {
  return `${prefix}off:${partitionTag(topic, partition)}`;
}

/** every partition ever claimed, of every topic (for readOffsets and the read side) */
export function partitionsKey(prefix: string): string {
  return `${prefix}parts`;
}

/** apps with data flushed by this partition */
export function partitionAppsKey(prefix: string, tag: string): string {
  return `${prefix}apps:${tag}`;
}

/** apps with dyno data flushed by this (platform) partition */
export function platformAppsKey(prefix: string, tag: string): string {
  return `${prefix}dapps:${tag}`;
}

export function dynoWindowIndexKey(
  prefix: string,
  tag: string,
  resolutionSeconds: number,
  app: string,
): string {
  return `${prefix}dwi:${tag}:${resolutionSeconds}:${app}`;
}

export function dynoWindowKey(
  prefix: string,
  tag: string,
  resolutionSeconds: number,
  app: string,
  windowStart: number,
): string {
  return `${prefix}dw:${tag}:${resolutionSeconds}:${app}:${windowStart}`;
}

/** the app's dynos → their latest sample, as this partition saw them (current state without a range read) */
export function dynoStateKey(prefix: string, tag: string, app: string): string {
  return `${prefix}dyn:${tag}:${app}`;
}

/** The drain's dedupe of logplex retries: one key per drain token and `Logplex-Frame-Id` (ingest/frame-dedupe.ts). */
export function frameKey(prefix: string, drainToken: string, frameId: string): string {
  return `${prefix}drain:frame:${drainToken}:${frameId}`;
}

export function windowIndexKey(prefix: string, tag: string, resolutionSeconds: number, app: string): string {
  return `${prefix}wi:${tag}:${resolutionSeconds}:${app}`;
}

export function windowKey(
  prefix: string,
  tag: string,
  resolutionSeconds: number,
  app: string,
  windowStart: number,
): string {
  return `${prefix}w:${tag}:${resolutionSeconds}:${app}:${windowStart}`;
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

/**
 * Fields of a dyno window hash (`{p}dw:…`): three per dyno, `<dyno>|<suffix>` (split at
 * the LAST `|`), MessagePack, merged by the platform flush exactly as `mergeDynoDelta`:
 *
 *   <dyno>|m   memory, DYNO_MEMORY order; written only when the window has memory samples
 *   <dyno>|l   load, DYNO_LOAD order; only with load samples
 *   <dyno>|e   events: msgpack map {"R14": 2, "restart": 1}; only with events
 *
 * The process type is not stored: it is the dyno name without its `.N` suffix.
 */
export const DYNO_FIELD = { memory: 'm', load: 'l', events: 'e' } as const;

/** `<dyno>|m`: sums add, maxima max, the `…Last` fields, quota and lastMs replaced when lastMs ≥ stored */
export const DYNO_MEMORY = [
  'memorySamples',
  'memoryTotalSumMb',
  'memoryTotalMaxMb',
  'memoryTotalLastMb',
  'memoryRssSumMb',
  'memoryRssMaxMb',
  'memoryRssLastMb',
  'memorySwapMaxMb',
  'memorySwapLastMb',
  'memoryQuotaMb',
  'memoryLastMs',
] as const;

/** `<dyno>|l` */
export const DYNO_LOAD = ['loadSamples', 'load1mSum', 'load1mMax', 'load1mLast', 'loadLastMs'] as const;

/**
 * A field of `{p}dyn:{t:P}:{app}`: the dyno's latest sample; the memory part is replaced
 * when memoryLastMs ≥ the stored one, the load part when loadLastMs ≥ (-1 = never seen).
 */
export const DYNO_STATE = [
  'memoryLastMs',
  'memoryTotalMb',
  'memoryRssMb',
  'memorySwapMb',
  'memoryQuotaMb',
  'loadLastMs',
  'load1m',
] as const;
