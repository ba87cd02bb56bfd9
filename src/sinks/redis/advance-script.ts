/**
 * Move a partition's stored next offset forward without data, when Kafka's
 * retention deleted records that were never aggregated (stored next < log start).
 *
 *   KEYS[1] {p}off:{t:P}
 *   ARGV[1] epoch   ARGV[2] expected current next ('' = any)   ARGV[3] new next
 *   → {'ok', next} | {'unchanged', next} | {'fenced', epoch, next} | {'mismatch', epoch, next}
 *
 * Never moves backwards (that would count records twice): a new next that is
 * not greater than the stored one leaves it unchanged. Offsets are compared as
 * decimal strings (length, then lexically) so that 64-bit offsets stay exact.
 */
export const ADVANCE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'next')
if cur[1] ~= ARGV[1] then return {'fenced', cur[1] or '', cur[2] or ''} end
local nxt = cur[2] or ''
if ARGV[2] ~= '' and nxt ~= ARGV[2] then return {'mismatch', cur[1], nxt} end
local to = ARGV[3]
if nxt ~= '' and (#nxt > #to or (#nxt == #to and nxt >= to)) then return {'unchanged', nxt} end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'next', to, 'at', string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return {'ok', to}
`;
