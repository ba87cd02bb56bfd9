/**
 * Claim a partition: bump its fencing epoch and read where the previous owner stopped.
 *
 *   KEYS[1] {p}off:{t:P}
 *   → { epoch, next or '', wm or '' }
 *
 * Every claim makes a new epoch, so the newest owner wins: a flush carrying an
 * older epoch is rejected by the flush script (fenced). The partition is listed in
 * {p}parts by a separate SADD before the claim: that set lives in another hash slot
 * on Redis Cluster, and listing a partition twice or early is harmless.
 */
export const CLAIM_LUA = `
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
local v = redis.call('HMGET', KEYS[1], 'next', 'wm')
return {epoch, v[1] or '', v[2] or ''}
`;
