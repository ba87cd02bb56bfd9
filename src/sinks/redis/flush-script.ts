/**
 * One partition flush, applied atomically (a Lua script runs alone in Redis).
 *
 *   KEYS[1]      {p}off:{t:P}        KEYS[2]  {p}apps:{t:P} (the partition's apps)
 *   (every key has the partition's hash tag {t:P}: one slot on Redis Cluster)
 *   KEYS[2g+1]   window hash of group g            KEYS[2g+2]  window index of group g
 *
 *   ARGV[1] epoch  ARGV[2] fromOffset  ARGV[3] nextOffset  ARGV[4] watermark ms ('' = keep)
 *   ARGV[5] TTL of the apps index     ARGV[6] number of groups, then per group g:
 *     app, windowStart, ttl, deltaCount, then per delta (5 values):
 *       route, stats, codes ('' = none), service histogram ('' = none),
 *       connect histogram ('' = none)          (msgpack values; formats: redis-keys.ts)
 *
 *   → {'ok', next} | {'fenced', storedEpoch, storedNext} | {'mismatch', storedEpoch, storedNext}
 *
 * Steps: (1) the stored epoch must equal the batch's (else fenced: a newer owner
 * claimed the partition, or nobody did); (2) the stored next offset, if any, must
 * equal the batch's fromOffset (else mismatch — including a re-sent batch that was
 * already applied, which the caller recognises by storedNext == batch.nextOffset);
 * (3) per window hash, in chunks of CHUNK routes: one HMGET of the routes' four
 * fields, merge in Lua (stats: element-wise sum, max for the 4th; codes: sum per
 * code; histograms: linear merge of two sorted "value:count" lists), one HSET;
 * (4) EXPIRE the hash, add its start to the window index (trimming entries older
 * than the TTL) and the app to the partition's apps index; (5) next := nextOffset,
 * wm := max(wm, watermark), at := server time (ms).
 *
 * Nothing is written before the checks pass, and a script is atomic, so a
 * rejected flush leaves no trace. cmsgpack writes integral numbers as integers
 * (exact up to 2^53) and others as doubles, so sums are never rounded to text.
 */
export const FLUSH_LUA = `
local off = KEYS[1]
local fmt, floor = string.format, math.floor
local cur = redis.call('HMGET', off, 'epoch', 'next')
if cur[1] ~= ARGV[1] then return {'fenced', cur[1] or '', cur[2] or ''} end
if cur[2] and cur[2] ~= ARGV[2] then return {'mismatch', cur[1], cur[2]} end

local CHUNK = 400
local pack, unpack_ = cmsgpack.pack, cmsgpack.unpack

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

-- codes: {code = count} summed per code
local function mergeCodes(old, new)
  local a, b = unpack_(old), unpack_(new)
  for c, v in pairs(b) do a[c] = (a[c] or 0) + v end
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

local merges = {mergeStats, mergeCodes, mergeHist, mergeHist}
local suffixes = {'|s', '|e', '|hs', '|hc'}

local i = 7
for g = 1, tonumber(ARGV[6]) do
  local wkey, ikey = KEYS[1 + 2 * g], KEYS[2 + 2 * g]
  local app, ws, ttl, nd = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local done = 0
  while done < nd do
    local m = nd - done
    if m > CHUNK then m = CHUNK end
    local fields, values = {}, {}
    for d = 0, m - 1 do
      local base = i + d * 5
      for k = 1, 4 do
        fields[d * 4 + k] = ARGV[base] .. suffixes[k]
        values[d * 4 + k] = ARGV[base + k]
      end
    end
    local old = redis.call('HMGET', wkey, unpack(fields))
    local set, s = {}, 0
    for j = 1, m * 4 do
      local v = values[j]
      if v ~= '' then
        local o = old[j]
        if o then v = merges[(j - 1) % 4 + 1](o, v) end
        set[s + 1] = fields[j]
        set[s + 2] = v
        s = s + 2
      end
    end
    if s > 0 then redis.call('HSET', wkey, unpack(set)) end
    i = i + m * 5
    done = done + m
  end
  redis.call('EXPIRE', wkey, ttl)
  redis.call('ZADD', ikey, ws, ws)
  redis.call('ZREMRANGEBYSCORE', ikey, '-inf', '(' .. fmt('%.0f', tonumber(ws) - tonumber(ttl)))
  redis.call('EXPIRE', ikey, ttl)
  redis.call('ZADD', KEYS[2], 'GT', ws, app)
end
if tonumber(ARGV[6]) > 0 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end

local t = redis.call('TIME')
local at = fmt('%.0f', tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000))
local wm = ARGV[4]
if wm ~= '' then
  local old = redis.call('HGET', off, 'wm')
  if old and tonumber(old) > tonumber(wm) then wm = old end
  redis.call('HSET', off, 'next', ARGV[3], 'wm', wm, 'at', at)
else
  redis.call('HSET', off, 'next', ARGV[3], 'at', at)
end
return {'ok', ARGV[3]}
`;
