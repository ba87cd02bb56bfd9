import { FLUSH_COMMIT_LUA, FLUSH_FENCE_LUA, FLUSH_GROUPS_LUA } from './flush-script-parts.js';

/**
 * One router partition flush, applied atomically (a Lua script runs alone in Redis).
 * KEYS/ARGV layout and the shared steps are in flush-script-parts.ts:
 *
 *   KEYS[1]      {p}off:{t:P}        KEYS[2]  {p}apps:{t:P} (the partition's apps)
 *   (every key has the partition's hash tag {t:P}: one slot on Redis Cluster)
 *   KEYS[2g+1]   {p}w:{t:P}:… of group g           KEYS[2g+2]  {p}wi:{t:P}:… of group g
 *
 *   ARGV[1..6] epoch, fromOffset, nextOffset, watermark ms ('' = keep), apps TTL, G
 *   ARGV[7]    blob: the apps' and routes' names (UTF-8) and msgpack values, back to back
 *   ARGV[8]    spans, a msgpack array of integers (flush-slab.ts), 1-based into the blob:
 *                per group (5)   appStart, appLength, windowStart, ttl, deltaCount
 *                per delta (10)  route, |s stats, |e codes, |hs service histogram,
 *                                |hc connect histogram, each as (start, length);
 *                                (0, 0) = not written (no codes, an empty histogram)
 *              (value formats: redis-keys.ts; nothing follows ARGV[8])
 *
 *   → {'ok', next} | {'fenced', storedEpoch, storedNext} | {'mismatch', storedEpoch, storedNext}
 *
 * Steps: (1) the stored epoch must equal the batch's (else fenced: a newer owner
 * claimed the partition, or nobody did); (2) the stored next offset, if any, must
 * equal the batch's fromOffset (else mismatch — including a re-sent batch that was
 * already applied, which the caller recognises by storedNext == batch.nextOffset);
 * (3) per window hash, in chunks of CHUNK routes: the routes and values cut out of
 * the blob, one HMGET of the routes' four fields, merge in Lua (stats: element-wise
 * sum, max for the 4th; codes: sum per code; histograms: linear merge of two sorted
 * [value, count, …] lists), one HSET;
 * (4) EXPIRE the hash, add its start to the window index (trimming entries older
 * than the TTL) and the app to the partition's apps index; (5) next := nextOffset,
 * wm := max(wm, watermark), at := server time (ms).
 *
 * Nothing is written before the checks pass, and a script is atomic, so a
 * rejected flush leaves no trace. cmsgpack writes integral numbers as integers
 * (exact up to 2^53) and others as doubles, so sums are never rounded to text.
 */
export const FLUSH_LUA = `${FLUSH_FENCE_LUA}
-- stats: element-wise sum, except the 4th (service max): max
local function mergeStats(old, new)
  local a, b = unpack_(old), unpack_(new)
  for k = 1, #b do
    local v, o = b[k], a[k] or 0
    if k == 4 then
      if v > o then a[k] = v end
    else
      a[k] = o + v
    end
  end
  return pack(a)
end

-- histograms: two [value, count, ...] lists sorted by value, merged linearly
local function mergeHist(old, new)
  local a, b = unpack_(old), unpack_(new)
  local out, k, i, j, na, nb = {}, 0, 1, 1, #a, #b
  while i <= na or j <= nb do
    local x, y = a[i], b[j]
    if y == nil or (x ~= nil and x < y) then
      out[k + 1], out[k + 2] = x, a[i + 1]
      i = i + 2
    elseif x == nil or y < x then
      out[k + 1], out[k + 2] = y, b[j + 1]
      j = j + 2
    else
      out[k + 1], out[k + 2] = x, a[i + 1] + b[j + 1]
      i, j = i + 2, j + 2
    end
    k = k + 2
  end
  return pack(out)
end
${FLUSH_GROUPS_LUA}
applyGroups({'|s', '|e', '|hs', '|hc'}, {mergeStats, mergeCodes, mergeHist, mergeHist})
${FLUSH_COMMIT_LUA}`;
