/**
 * Query strings can carry secrets (`?token=…`, `?api_key=…`). Before a path is sent
 * to staging, printed by `--dry-run` or written to the report, parameters named in
 * `redact` get the value `REDACTED` and those named in `drop` are removed. Names are
 * compared case-insensitively and after percent-decoding, so `Api%5FKey` is `api_key`.
 * Everything else is kept byte for byte (no re-encoding: staging must see what
 * production saw).
 *
 *   /search?q=shoes&token=abc&utm_source=x   redact [token], drop [utm_source]
 *   → /search?q=shoes&token=REDACTED
 */
export interface QueryRules {
  redact: ReadonlySet<string>;
  drop: ReadonlySet<string>;
}

export const REDACTED = 'REDACTED';

/** The default list: parameter names that commonly carry credentials. */
export const DEFAULT_REDACTED_PARAMS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'client_secret',
  'password',
  'passwd',
  'signature',
  'sig',
  'auth',
  'session',
  'code',
];

export function queryRules(redact: readonly string[], drop: readonly string[]): QueryRules {
  const norm = (names: readonly string[]) =>
    new Set(names.map((n) => n.trim().toLowerCase()).filter(Boolean));
  return { redact: norm(redact), drop: norm(drop) };
}

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

export function redactQuery(path: string, rules: QueryRules): string {
  const q = path.indexOf('?');
  if (q < 0 || (rules.redact.size === 0 && rules.drop.size === 0)) return path;
  const hash = path.indexOf('#', q);
  const query = path.slice(q + 1, hash < 0 ? path.length : hash);
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = paramName(eq < 0 ? pair : pair.slice(0, eq));
    if (rules.drop.has(name)) continue;
    if (rules.redact.has(name)) kept.push(`${eq < 0 ? pair : pair.slice(0, eq)}=${REDACTED}`);
    else kept.push(pair);
  }
  const base = path.slice(0, q);
  return kept.length === 0 ? base : `${base}?${kept.join('&')}`;
}
