import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Who may read the API. It serves per-app business data, so like the drain it
 * refuses to start without credentials unless API_ALLOW_OPEN=true.
 *
 *   Authorization: Bearer <token>          API_TOKENS=token or token:app1|app2
 *   Authorization: Basic base64(user:pw)   API_USERS=user:password
 *
 * Every configured credential is compared, in constant time and without an early
 * exit, as fixed-length SHA-256 digests (`timingSafeEqual`): the time taken says
 * nothing about how close a guess was or which entry matched. A token limited to
 * a list of apps sees only those; the others answer 404 as if they did not exist.
 */
export interface ApiPrincipal {
  /** stable, non-secret id for rate limiting and logs: `token:<8 hex of its digest>`, `user:<name>`, `open` */
  id: string;
  /** null = every app */
  apps: ReadonlySet<string> | null;
}

export type ApiAuthResult =
  | { ok: true; principal: ApiPrincipal }
  | { ok: false; reason: 'missing_credentials' | 'bad_credentials' };

export type ApiAuth = (authorization: string | undefined) => ApiAuthResult;

function digest(s: string | Buffer): Buffer {
  return createHash('sha256').update(s).digest();
}

export function createApiAuth(api: Config['api']): ApiAuth {
  if (api.tokens.length === 0 && api.users.length === 0) {
    if (!api.allowOpen) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        'API_TOKENS: no API credentials configured; set API_TOKENS (bearer tokens) or API_USERS ' +
          '(user:password for HTTP Basic), or API_ALLOW_OPEN=true to serve per-app data to anyone',
        { details: { variable: 'API_TOKENS' } },
      );
    }
    const open: ApiAuthResult = { ok: true, principal: { id: 'open', apps: null } };
    return () => open;
  }
  const tokens = api.tokens.map((t) => {
    const d = digest(t.token);
    return {
      digest: d,
      principal: { id: `token:${d.toString('hex').slice(0, 8)}`, apps: t.apps && new Set(t.apps) },
    };
  });
  const users = api.users.map((u) => ({
    digest: digest(`${u.user}:${u.password}`),
    principal: { id: `user:${u.user}`, apps: null },
  }));
  const match = (given: Buffer, entries: typeof tokens | typeof users): ApiPrincipal | null => {
    let found: ApiPrincipal | null = null;
    for (const e of entries) if (timingSafeEqual(given, e.digest)) found = e.principal;
    return found;
  };
  return (header) => {
    if (typeof header !== 'string') return { ok: false, reason: 'missing_credentials' };
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    let principal: ApiPrincipal | null = null;
    if (scheme === 'bearer' && tokens.length > 0) principal = match(digest(value), tokens);
    else if (scheme === 'basic' && users.length > 0)
      principal = match(digest(Buffer.from(value, 'base64')), users);
    else return { ok: false, reason: 'missing_credentials' };
    return principal ? { ok: true, principal } : { ok: false, reason: 'bad_credentials' };
  };
}

/** Whether the principal may see the app (a 404 for the API when not). */
export function canSeeApp(principal: ApiPrincipal, app: string): boolean {
  return principal.apps === null || principal.apps.has(app);
}
