import { ADVANCE_LUA } from './advance-script.js';
import { CLAIM_LUA } from './claim-script.js';
import { FLUSH_LUA } from './flush-script.js';
import { PLATFORM_FLUSH_LUA } from './platform-flush-script.js';
import type { RedisClient } from './redis-client.js';

type Arg = string | number | Buffer;
type ScriptReply = Array<string | number>;

/** The sink's Lua scripts as ioredis commands (EVALSHA, falling back to EVAL after a SCRIPT FLUSH or restart). */
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
