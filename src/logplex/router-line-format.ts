import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Writes router fields back as Heroku does, in the given key order:
 *
 *   at=info method=GET path="/cart_link" host=lumberjack-store.timber.io … dyno=web.1 connect=1ms
 *
 * A value is quoted when Heroku quotes its key (`path`, `fwd`, `desc` by default) or
 * when it holds a space; an empty value stays bare (`dyno=`). The format has no escape,
 * so `"`, CR and LF in a value are percent-encoded (`%22`, `%0D`, `%0A`), as the
 * router does in paths: for values without them, `parseRouterLine(formatRouterLine(f))`
 * gives `f` back.
 */
export const HEROKU_QUOTED_KEYS: ReadonlySet<string> = new Set(['path', 'fwd', 'desc']);

export type RouterFields = Record<string, string | number>;

function encodeValue(value: string): string {
  let needs = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 || c === 0x0a || c === 0x0d) {
      needs = true;
      break;
    }
  }
  if (!needs) return value;
  return value.replaceAll('"', '%22').replaceAll('\n', '%0A').replaceAll('\r', '%0D');
}

function checkKey(key: string): void {
  if (key.length === 0 || /[\s="]/.test(key)) {
    throw new RoutemeterError(
      'RM_ERR_FORMAT',
      `router key ${JSON.stringify(key)} is empty or holds a space, = or "`,
    );
  }
}

export function formatRouterLine(
  fields: RouterFields,
  quoted: ReadonlySet<string> = HEROKU_QUOTED_KEYS,
): string {
  let out = '';
  for (const key of Object.keys(fields)) {
    checkKey(key);
    const value = encodeValue(String(fields[key]));
    const quote = value.length > 0 && (quoted.has(key) || value.includes(' '));
    out += (out.length === 0 ? '' : ' ') + key + '=' + (quote ? `"${value}"` : value);
  }
  return out;
}
