import { FLUSH_COMMIT_LUA, FLUSH_FENCE_LUA, FLUSH_GROUPS_LUA } from './flush-script-parts.js';

/**
 * The current state of an app holds one field per dyno name ever seen, and one-off dynos
 * (`run.4821`, `scheduler.9`) bring new names every time: once it holds more than
 * DYNO_STATE_MAX fields, the flush deletes the dynos whose latest sample is more than
 * DYNO_STATE_HORIZON_MS older than the app's newest one (they are gone; queryDynos hides
 * them sooner, see DYNO_STALE_MS there).
 */
export const DYNO_STATE_MAX = 256;
export const DYNO_STATE_HORIZON_MS = 3_600_000;

/**
 * One platform (dyno) partition flush, applied atomically, with the router flush's
 * protocol and layout (flush-script-parts.ts: the same fencing, offsets and window
 * indexes), its own merge functions, and a last section for the current state:
 *
 *   KEYS[1]      {p}off:{t:P}        KEYS[2]  {p}dapps:{t:P}
 *   KEYS[2g+1]   {p}dw:{t:P}:… of group g      KEYS[2g+2]  {p}dwi:{t:P}:… of group g
 *   KEYS[2G+2+a] {p}dyn:{t:P}:<app> of state app a
 *   (every key has the partition's hash tag {t:P}: one slot on Redis Cluster)
 *
 *   ARGV[1..6] epoch, fromOffset, nextOffset, watermark ms ('' = keep), TTL of dapps
 *              and dyn, G
 *   ARGV[7]    blob: the apps' and dynos' names (UTF-8) and msgpack values, back to back
 *   ARGV[8]    spans, a msgpack array of integers (flush-slab.ts), 1-based into the blob:
 *                per group (5)  appStart, appLength, windowStart, ttl, deltaCount
 *                per delta (8)  dyno, |m memory, |l load, |e events, each as
 *                               (start, length); (0, 0) = not written (no memory or
 *                               load samples, no events)
 *   ARGV[9]    A, the apps with a state; then per app: n, then n × (dyno, state) as
 *              separate ARGV values, as before the blob (at most one state per dyno
 *              with samples: fewer than the window values)
 *
 *   → {'ok', next} | {'fenced', storedEpoch, storedNext} | {'mismatch', storedEpoch, storedNext}
 *
 * The merges are `mergeDynoDelta` (src/actors/dyno-flush-batch.ts) on the msgpack
 * arrays of redis-keys.ts: sums and sample counts add, maxima max, and the "last"
 * values (with the quota, when the newer one carries one) are replaced when the
 * incoming lastMs is the same or later: a later flush holds later records, as the
 * later record wins a tie within a window. A stored field always has samples > 0
 * (the flush writes `|m` / `|l` only then), so its maxima are real values.
 * The current state is pruned as DYNO_STATE_MAX says.
 */
export const PLATFORM_FLUSH_LUA = `${FLUSH_FENCE_LUA}
-- |m [samples, totalSum, totalMax, totalLast, rssSum, rssMax, rssLast, swapMax, swapLast, quota, lastMs]
local function mergeMemory(old, new)
  local a, b = unpack_(old), unpack_(new)
  a[1], a[2], a[5] = a[1] + b[1], a[2] + b[2], a[5] + b[5]
  if b[3] > a[3] then a[3] = b[3] end
  if b[6] > a[6] then a[6] = b[6] end
  if b[8] > a[8] then a[8] = b[8] end
  if b[11] >= a[11] then
    a[4], a[7], a[9], a[11] = b[4], b[7], b[9], b[11]
    if b[10] > 0 then a[10] = b[10] end
  end
  return pack(a)
end

-- |l [samples, sum, max, last, lastMs]
local function mergeLoad(old, new)
  local a, b = unpack_(old), unpack_(new)
  a[1], a[2] = a[1] + b[1], a[2] + b[2]
  if b[3] > a[3] then a[3] = b[3] end
  if b[5] >= a[5] then a[4], a[5] = b[4], b[5] end
  return pack(a)
end

-- dyn field [memoryLastMs, total, rss, swap, quota, loadLastMs, load1m]; -1 = never seen
local function mergeState(old, new)
  local a, b = unpack_(old), unpack_(new)
  if b[1] >= 0 and b[1] >= a[1] then
    a[1], a[2], a[3], a[4] = b[1], b[2], b[3], b[4]
    if b[5] > 0 then a[5] = b[5] end
  end
  if b[6] >= 0 and b[6] >= a[6] then a[6], a[7] = b[6], b[7] end
  return pack(a)
end
${FLUSH_GROUPS_LUA}
local STATE_MAX, STATE_HORIZON_MS = ${DYNO_STATE_MAX}, ${DYNO_STATE_HORIZON_MS}
local i = applyGroups({'|m', '|l', '|e'}, {mergeMemory, mergeLoad, mergeCodes})
local k = 3 + 2 * tonumber(ARGV[6])
local apps = tonumber(ARGV[i])
i = i + 1
for a = 1, apps do
  local skey, n = KEYS[k], tonumber(ARGV[i])
  i, k = i + 1, k + 1
  local dynos = {}
  for e = 0, n - 1 do dynos[e + 1] = ARGV[i + 2 * e] end
  local old = redis.call('HMGET', skey, unpack(dynos))
  local set = {}
  for e = 0, n - 1 do
    local v = ARGV[i + 2 * e + 1]
    if old[e + 1] then v = mergeState(old[e + 1], v) end
    set[2 * e + 1], set[2 * e + 2] = dynos[e + 1], v
  end
  redis.call('HSET', skey, unpack(set))
  redis.call('EXPIRE', skey, ARGV[5])
  i = i + 2 * n
  -- one-off dynos (run.4821) are new names every time: past STATE_MAX entries, forget the
  -- dynos whose latest sample is STATE_HORIZON_MS older than the app's newest
  if redis.call('HLEN', skey) > STATE_MAX then
    local all, newest, last = redis.call('HGETALL', skey), 0, {}
    for e = 2, #all, 2 do
      local st = unpack_(all[e])
      local t = st[1] > st[6] and st[1] or st[6]
      last[e / 2] = t
      if t > newest then newest = t end
    end
    local gone = {}
    for e = 2, #all, 2 do
      if last[e / 2] < newest - STATE_HORIZON_MS then gone[#gone + 1] = all[e - 1] end
    end
    if #gone > 0 then redis.call('HDEL', skey, unpack(gone)) end
  end
end
${FLUSH_COMMIT_LUA}`;
