import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Who may post to the drain. Logplex sends the userinfo of the drain URL
 * (`heroku drains:add https://user:pass@host/logs`) as `Authorization: Basic …`,
 * and identifies the drain with `Logplex-Drain-Token: d.<uuid>`.
 *
 * - Basic credentials are compared in constant time: both sides are hashed to
 *   fixed-length SHA-256 digests and compared with `timingSafeEqual`, against every
 *   configured user (no early exit), so the time taken says nothing about how
 *   close a guess was, nor which user matched.
 * - The drain token is an identifier (logplex also writes it into messages), not a
 *   secret: the optional allowlist only keeps unknown drains out.
 * - With no users configured the drain refuses to start unless DRAIN_ALLOW_OPEN=true.
 */
export type AuthFailure = 'missing_credentials' | 'bad_credentials' | 'token_not_allowed';
/** `user`: the DRAIN_USERS user the credentials matched (null on an open drain) */
export type AuthResult = { ok: true; user: string | null } | { ok: false; reason: AuthFailure };
export type DrainAuth = (headers: IncomingHttpHeaders) => AuthResult;

function digest(s: string | Buffer): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Throws RM_ERR_CONFIG when the drain would be open without DRAIN_ALLOW_OPEN=true. */
export function assertDrainSecured(drain: Config['drain']): void {
  if (drain.users.length === 0 && !drain.allowOpen) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      'DRAIN_USERS: no drain credentials configured; set DRAIN_USERS=user:password ' +
        '(and use https://user:password@host/logs as the drain URL), or DRAIN_ALLOW_OPEN=true to run without',
      { details: { variable: 'DRAIN_USERS' } },
    );
  }
}

export function createDrainAuth(drain: Config['drain']): DrainAuth {
  assertDrainSecured(drain);
  const digests = drain.users.map((u) => digest(`${u.user}:${u.password}`));
  const tokens = new Set(drain.tokens);
  return (headers) => {
    let user: string | null = null;
    if (digests.length > 0) {
      const header = headers.authorization;
      if (typeof header !== 'string' || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') {
        return { ok: false, reason: 'missing_credentials' };
      }
      const given = digest(Buffer.from(header.slice(6).trim(), 'base64'));
      let match = -1;
      for (let i = 0; i < digests.length; i++) if (timingSafeEqual(given, digests[i]!)) match = i;
      if (match < 0) return { ok: false, reason: 'bad_credentials' };
      user = drain.users[match]!.user;
    }
    if (tokens.size > 0) {
      const token = headers['logplex-drain-token'];
      if (typeof token !== 'string' || !tokens.has(token)) return { ok: false, reason: 'token_not_allowed' };
    }
    return { ok: true, user };
  };
}
