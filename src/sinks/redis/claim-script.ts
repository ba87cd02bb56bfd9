/**
 * Claim a partition: bump its fencing epoch and read where the previous owner stopped.
 *
 *   KEYS[1] {p}off:{topic}:{partition}   KEYS[2] {p}offp:{topic}
 *   ARGV[1] partition
 *   → { epoch, next or '', wm or '' }
 *
 * Every claim makes a new epoch, so the newest owner wins: a flush carrying an
 * older epoch is rejected by the flush script (fenced).
 */
export const CLAIM_LUA = `
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('SADD', KEYS[2], ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'next', 'wm')
return {epoch, v[1] or '', v[2] or ''}
`;
