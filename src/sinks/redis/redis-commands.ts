import { ADVANCE_LUA } from './advance-script.js';
import { CLAIM_LUA } from './claim-script.js';
import { FLUSH_LUA } from './flush-script.js';
import { PLATFORM_FLUSH_LUA } from './platform-flush-script.js';
import type { RedisClient } from './redis-client.js';

type Arg = string | number | Buffer;
type ScriptReply = Array<string | number>;

/**
 * The sink's Lua scripts as ioredis commands. ioredis (Script.js) names a script by the
 * SHA1 of its text, computed in this process: the first call on each connection (a
 * reconnect too) is an EVAL with the text, later ones EVALSHA, and a NOSCRIPT (SCRIPT
 * FLUSH under a live connection) sends the EVAL again. So a process only ever runs its
 * own version of a script, even while another version is cached in the same Redis
 * (docs/redis-keys.md, "Rolling upgrades").
 */
export interface RoutemeterCommands {
  rmClaim(offsetKey: string): Promise<ScriptReply>;
  rmAdvance(offsetKey: string, epoch: number, expectedNext: string, nextOffset: string): Promise<ScriptReply>;
  /** numKeys first, then keys and args (arrays are flattened by ioredis) */
  rmFlush(numKeys: number, keys: string[], args: Arg[]): Promise<ScriptReply>;
  /** the platform (dyno) partition flush: same calling convention */
  rmPlatformFlush(numKeys: number, keys: string[], args: Arg[]): Promise<ScriptReply>;
}

const defined = new WeakSet<RedisClient>();

/** Defines the scripts on this client once, and returns it typed with them. */
export function routemeterCommands<C extends RedisClient>(redis: C): C & RoutemeterCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('rmClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
    redis.defineCommand('rmAdvance', { numberOfKeys: 1, lua: ADVANCE_LUA });
    // the number of keys depends on the batch: passed as the first argument
    redis.defineCommand('rmFlush', { lua: FLUSH_LUA });
    redis.defineCommand('rmPlatformFlush', { lua: PLATFORM_FLUSH_LUA });
    defined.add(redis);
  }
  return redis as C & RoutemeterCommands;
}
