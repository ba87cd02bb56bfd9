/**
 * The pieces every partition flush script shares (the router's flush-script.ts and
 * the platform's platform-flush-script.ts): the fencing prologue, the chunked
 * read-merge-write of a window hash's fields, the window/app index upkeep and the
 * offset commit. Each script is `FLUSH_FENCE_LUA + its merge functions +
 * FLUSH_GROUPS_LUA + … + FLUSH_COMMIT_LUA`, so the effectively-once protocol
 * (docs/redis-keys.md) is written once.
 *
 * Layout both scripts follow:
 *
 *   KEYS[1]      {p}off:{t:P}        KEYS[2]  the partition's apps index
 *   KEYS[2g+1]   window hash of group g            KEYS[2g+2]  window index of group g
 *
 *   ARGV[1] epoch  ARGV[2] fromOffset  ARGV[3] nextOffset  ARGV[4] watermark ms ('' = keep)
 *   ARGV[5] TTL of the apps index     ARGV[6] number of groups G
 *   ARGV[7] blob: every name (raw UTF-8) and msgpack value of the G groups, back to back
 *   ARGV[8] spans: ONE msgpack array of integers (flush-slab.ts), read front to back:
 *     per group g, 5 integers:       appStart, appLength, windowStart, ttl, deltaCount
 *     then per delta, 2·(W+1):       nameStart, nameLength (route or dyno), then for each
 *                                    of the W field suffixes valueStart, valueLength
 *     Starts are 1-based into the blob (string.sub(blob, start, start + length - 1));
 *     (0, 0) = no value: that field is not written. Two spans may point at the same
 *     bytes (a roll-up equal to its one short window, FlushSlab.reuse).
 *     W is the script's: 4 for the router (|s |e |hs |hc), 3 for dynos (|m |l |e).
 *   ARGV[9…] what the script has after the groups (the platform's dyno states); the
 *     router script has none.
 *
 *   → {'ok', next} | {'fenced', storedEpoch, storedNext} | {'mismatch', storedEpoch, storedNext}
 *
 * Why two values and not one ARGV per name and value, as before: ioredis frames every
 * argument (a header, its byte length counted, a copy) and Redis parses each one; with
 * thousands of deltas per flush that cost more CPU than packing the values. The bytes
 * cut out of the blob are the ones the per-value layout sent, so what is stored did not
 * change (docs/redis-keys.md, "Flush").
 */

/**
 * Steps 1–2: nothing is written unless the stored epoch equals the batch's (else
 * fenced: a newer owner claimed the partition, or nobody did) and the stored next
 * offset, if any, equals the batch's fromOffset (else mismatch, including a re-sent
 * batch that was already applied: the caller recognises storedNext == nextOffset).
 */
export const FLUSH_FENCE_LUA = `
local off = KEYS[1]
local fmt, floor = string.format, math.floor
local cur = redis.call('HMGET', off, 'epoch', 'next')
if cur[1] ~= ARGV[1] then return {'fenced', cur[1] or '', cur[2] or ''} end
if cur[2] and cur[2] ~= ARGV[2] then return {'mismatch', cur[1], cur[2]} end
local pack, unpack_ = cmsgpack.pack, cmsgpack.unpack

-- {code = count} maps summed per code (router codes, dyno events)
local function mergeCodes(old, new)
  local a, b = unpack_(old), unpack_(new)
  for c, v in pairs(b) do a[c] = (a[c] or 0) + v end
  return pack(a)
end
`;

/**
 * Steps 3–4, as `applyGroups(suffixes, merges)`: per window hash, in chunks of CHUNK
 * deltas: the names and values cut out of ARGV[7] at the spans of ARGV[8] (string.sub:
 * the very bytes the flush packed, so what is stored is exactly those values), one
 * HMGET of the deltas' fields (`<name><suffix>`), a merge in Lua of each value already
 * stored (`merges[k]` for `suffixes[k]`), one HSET; then EXPIRE the hash, add its start
 * to the window index (trimming entries older than the TTL), and the app to the
 * partition's apps index (ZADD GT: its latest window). Returns the ARGV index after the
 * groups: always 9, since all groups live in ARGV[7..8]. windowStart and ttl come back
 * from msgpack as Lua numbers and are formatted as integers ('%.0f'), so Redis gets
 * the same decimal text as when they were separate ARGV values.
 */
export const FLUSH_GROUPS_LUA = `
local CHUNK = 400
local function applyGroups(suffixes, merges)
  local width = #suffixes
  local groups = tonumber(ARGV[6])
  local blob, L, sub = ARGV[7], unpack_(ARGV[8]), string.sub
  -- the bytes of span p (start, length); '' for length 0
  local function cut(p)
    local n = L[p + 1]
    if n == 0 then return '' end
    return sub(blob, L[p], L[p] + n - 1)
  end
  local p = 1
  for g = 1, groups do
    local wkey, ikey = KEYS[1 + 2 * g], KEYS[2 + 2 * g]
    local app = cut(p)
    local ws, ttl, nd = fmt('%.0f', L[p + 2]), fmt('%.0f', L[p + 3]), L[p + 4]
    p = p + 5
    local done = 0
    while done < nd do
      local m = nd - done
      if m > CHUNK then m = CHUNK end
      local fields, values = {}, {}
      for d = 0, m - 1 do
        local name = cut(p)
        for k = 1, width do
          fields[d * width + k] = name .. suffixes[k]
          values[d * width + k] = cut(p + 2 * k)
        end
        p = p + 2 * (width + 1)
      end
      local old = redis.call('HMGET', wkey, unpack(fields))
      local set, s = {}, 0
      for j = 1, m * width do
        local v = values[j]
        if v ~= '' then
          local o = old[j]
          if o then v = merges[(j - 1) % width + 1](o, v) end
          set[s + 1] = fields[j]
          set[s + 2] = v
          s = s + 2
        end
      end
      if s > 0 then redis.call('HSET', wkey, unpack(set)) end
      done = done + m
    end
    redis.call('EXPIRE', wkey, ttl)
    redis.call('ZADD', ikey, ws, ws)
    redis.call('ZREMRANGEBYSCORE', ikey, '-inf', '(' .. fmt('%.0f', tonumber(ws) - tonumber(ttl)))
    redis.call('EXPIRE', ikey, ttl)
    redis.call('ZADD', KEYS[2], 'GT', ws, app)
  end
  if groups > 0 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
  return 9
end
`;

/** Step 5: next := nextOffset, wm := max(wm, watermark), at := server time (ms); then 'ok'. */
export const FLUSH_COMMIT_LUA = `
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
