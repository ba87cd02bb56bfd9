/**
 * The `key=value` tokens of a Heroku router message (and of l2met-style lines):
 *
 *   at=error code=H12 desc="Request timeout" method=GET path="/api/x?a=1&b=" host=app.example.com
 *   dyno= connect= service= status=503 bytes=
 *
 * - a key runs up to `=`; a token without `=` (`Error`, `L10`) is a bare word;
 * - a value starting with `"` runs to the next `"` that is followed by a space or
 *   by the end (values may hold spaces, `=` and `&`; there is no escaping);
 *   an unterminated quote runs to the end;
 * - any other value runs to the next space, and may be empty.
 *
 * `nextPair` moves forward only, so a whole message is scanned in linear time with
 * no regular expression, and it fills a reusable cursor instead of allocating.
 */
export interface KeyValueCursor {
  keyStart: number;
  keyEnd: number;
  /** value offsets exclude the quotes */
  valueStart: number;
  valueEnd: number;
  /** false for a bare word (no `=`) */
  hasValue: boolean;
  quoted: boolean;
  /** where the next token starts */
  next: number;
}

export function createKeyValueCursor(): KeyValueCursor {
  return { keyStart: 0, keyEnd: 0, valueStart: 0, valueEnd: 0, hasValue: false, quoted: false, next: 0 };
}

const SPACE = 0x20;
const EQ = 0x3d;
const QUOTE = 0x22;

/** Reads the token at or after `pos` into `cur`; false when only spaces remain before `end`. */
export function nextPair(buf: Uint8Array, pos: number, end: number, cur: KeyValueCursor): boolean {
  let p = pos;
  while (p < end && buf[p] === SPACE) p++;
  if (p >= end) return false;
  cur.keyStart = p;
  while (p < end && buf[p] !== EQ && buf[p] !== SPACE) p++;
  cur.keyEnd = p;
  if (p >= end || buf[p] === SPACE) {
    cur.hasValue = false;
    cur.quoted = false;
    cur.valueStart = p;
    cur.valueEnd = p;
    cur.next = p;
    return true;
  }
  p++; // '='
  cur.hasValue = true;
  if (p < end && buf[p] === QUOTE) {
    cur.quoted = true;
    const valueStart = p + 1;
    let q = valueStart;
    while (q < end) {
      if (buf[q] === QUOTE && (q + 1 === end || buf[q + 1] === SPACE)) break;
      q++;
    }
    cur.valueStart = valueStart;
    cur.valueEnd = q;
    cur.next = q < end ? q + 1 : end;
    return true;
  }
  cur.quoted = false;
  cur.valueStart = p;
  while (p < end && buf[p] !== SPACE) p++;
  cur.valueEnd = p;
  cur.next = p;
  return true;
}

/** `connect=1ms`, `service=30000ms`, `status=503`, `bytes=1548`: the integer, or -1 when empty or not a number. */
export function parseIntValue(buf: Uint8Array, start: number, end: number): number {
  let e = end;
  // Strip a trailing unit ("ms"); the router writes no other unit.
  if (e - start >= 2 && buf[e - 2] === 0x6d && buf[e - 1] === 0x73) e -= 2;
  if (e === start || e - start > 15) return -1;
  let n = 0;
  for (let i = start; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
