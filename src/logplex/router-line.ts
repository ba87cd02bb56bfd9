import { createKeyValueCursor, nextPair, parseIntValue } from './key-value-scanner.js';
import type { RouterEvent } from './router-event.js';
import { bytesEqual, createSyslogHeader, parseSyslogHeader } from './syslog-header.js';

/**
 * Heroku router lines (APP-NAME `heroku`, PROCID `router`), whole:
 *
 *   <158>1 2020-01-08T22:33:57.353034+00:00 host heroku router - at=info method=GET path="/cart_link"
 *     host=lumberjack-store.timber.io request_id=05726858-c44e-4f94-9a20-37df73be9006 fwd="73.75.38.87"
 *     dyno=web.1 connect=1ms service=22ms status=304 bytes=656 protocol=http
 *
 * and the error form, where numeric fields may be empty:
 *
 *   at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17
 *     dyno= connect= service= status=503 bytes=
 *
 * Two parsers: `parseRouterLine` returns every key (unknown ones included) as
 * strings, for tools and tests; `parseRouterEvent` is the stream runtime's hot path,
 * filling a reusable `RouterEvent` from the bytes of a Kafka record value.
 */

const HEROKU = Buffer.from('heroku');
const ROUTER = Buffer.from('router');
const K_PATH = Buffer.from('path');
const K_HOST = Buffer.from('host');
const K_CODE = Buffer.from('code');
const K_BYTES = Buffer.from('bytes');
const K_METHOD = Buffer.from('method');
const K_STATUS = Buffer.from('status');
const K_SERVICE = Buffer.from('service');
const K_CONNECT = Buffer.from('connect');

/** Every `key=value` of a router message (bare words skipped; a repeated key keeps its last value). */
export function parseRouterLine(
  message: string | Uint8Array,
  start = 0,
  end?: number,
): Record<string, string> {
  const buf = typeof message === 'string' ? Buffer.from(message) : toBuffer(message);
  const stop = Math.min(end ?? buf.length, buf.length);
  const fields: Record<string, string> = Object.create(null);
  const cur = createKeyValueCursor();
  let pos = Math.max(0, start);
  while (nextPair(buf, pos, stop, cur)) {
    pos = cur.next;
    if (!cur.hasValue || cur.keyEnd === cur.keyStart) continue;
    fields[buf.toString('utf8', cur.keyStart, cur.keyEnd)] = buf.toString(
      'utf8',
      cur.valueStart,
      cur.valueEnd,
    );
  }
  return fields;
}

/** `22ms` → 22, `` → -1 (the router leaves `connect=` and `service=` empty on some errors). */
export function parseMs(value: string | undefined): number {
  if (value === undefined) return -1;
  const b = Buffer.from(value, 'latin1');
  return parseIntValue(b, 0, b.length);
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// Methods are interned: the hot path hands the same string to every event.
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'].map((m) => ({
  name: m,
  bytes: Buffer.from(m),
}));

function methodString(buf: Buffer, start: number, end: number): string {
  for (const m of METHODS) if (bytesEqual(buf, start, end, m.bytes)) return m.name;
  return buf.toString('latin1', start, end);
}

// Scratch state of the hot path (one JS thread runs one parse at a time).
const header = createSyslogHeader();
const cursor = createKeyValueCursor();

/**
 * Parses the syslog router line `buf[start, end)` (a Kafka record value: header and
 * message, no octet count, no trailing `\n`) into `out`, with `app`, `path` and
 * `code` as strings. Returns false, leaving `out` in an unspecified state, when the
 * line is not a router line or lacks what an event needs: a valid timestamp,
 * `host=`, `method=` and `path=`. Never throws.
 */
export function parseRouterEvent(buf: Buffer, start: number, end: number, out: RouterEvent): boolean {
  if (!scanRouterEvent(buf, start, end, out)) return false;
  out.app = buf.toString('utf8', out.appStart, out.appEnd);
  out.path = buf.toString('utf8', out.pathStart, out.pathEnd);
  out.code = codeStart === codeEnd ? '' : buf.toString('latin1', codeStart, codeEnd);
  out.src = null;
  return true;
}

// `code=` of the last scan, for parseRouterEvent's exact string
let codeStart = 0;
let codeEnd = 0;

/**
 * The stream runtime's parser: `parseRouterEvent` without a string per record.
 * `host=` and `path=` are left as offsets into `buf` (`out.src`), the method is an
 * interned string, and `code` is interned: `H12`-shaped codes map to one string
 * each, anything else to `?` (what the route actors record for a malformed code).
 */
export function scanRouterEvent(buf: Buffer, start: number, end: number, out: RouterEvent): boolean {
  const stop = Math.min(end, buf.length);
  if (!parseSyslogHeader(buf, start, stop, header)) return false;
  if (Number.isNaN(header.timestampMs)) return false;
  if (!bytesEqual(buf, header.procStart, header.procEnd, ROUTER)) return false;
  if (!bytesEqual(buf, header.appStart, header.appEnd, HEROKU)) return false;

  out.timestampMs = header.timestampMs;
  out.src = buf;
  out.app = '';
  out.method = '';
  out.path = '';
  out.status = -1;
  out.serviceMs = -1;
  out.connectMs = -1;
  out.bytes = -1;
  out.code = '';
  codeStart = 0;
  codeEnd = 0;
  let seen = 0;
  let pos = header.msgStart;
  while (nextPair(buf, pos, stop, cursor)) {
    pos = cursor.next;
    if (!cursor.hasValue) continue;
    const k = cursor.keyStart;
    const vs = cursor.valueStart;
    const ve = cursor.valueEnd;
    // Keys are told apart by length first, then compared byte by byte: no string per key.
    switch (cursor.keyEnd - k) {
      case 4:
        if (bytesEqual(buf, k, k + 4, K_PATH)) {
          out.pathStart = vs;
          out.pathEnd = ve;
          seen |= 1;
        } else if (bytesEqual(buf, k, k + 4, K_HOST)) {
          out.appStart = vs;
          out.appEnd = ve;
          if (ve > vs) seen |= 2;
        } else if (bytesEqual(buf, k, k + 4, K_CODE)) {
          codeStart = vs;
          codeEnd = ve;
          out.code = internCode(buf, vs, ve);
        }
        break;
      case 5:
        if (bytesEqual(buf, k, k + 5, K_BYTES)) out.bytes = parseIntValue(buf, vs, ve);
        break;
      case 6:
        if (bytesEqual(buf, k, k + 6, K_METHOD)) {
          out.method = methodString(buf, vs, ve);
          if (ve > vs) seen |= 4;
        } else if (bytesEqual(buf, k, k + 6, K_STATUS)) {
          out.status = parseIntValue(buf, vs, ve);
        }
        break;
      case 7:
        if (bytesEqual(buf, k, k + 7, K_SERVICE)) out.serviceMs = parseIntValue(buf, vs, ve);
        else if (bytesEqual(buf, k, k + 7, K_CONNECT)) out.connectMs = parseIntValue(buf, vs, ve);
        break;
    }
  }
  return seen === 7;
}

/** Interned `H12`, `R14`, `L10`… (one capital, 1–3 digits); '' when empty; `?` for anything else. */
const CODES = new Map<number, string>();

function internCode(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n < 2 || n > 4) return '?';
  const letter = buf[start]!;
  if (letter < 65 || letter > 90) return '?';
  // letter, digit count and digits: distinct keys for H1, H01 and H001
  let key = letter * 10 + n;
  for (let i = start + 1; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return '?';
    key = key * 10 + d;
  }
  let code = CODES.get(key);
  if (code === undefined) {
    code = buf.toString('latin1', start, end);
    CODES.set(key, code);
  }
  return code;
}

/**
 * Offsets of the `host=` value in the router message `buf[msgStart, end)`, written
 * to `out[0..1]`; false when there is none or it is empty. The drain uses it as the
 * Kafka record key (see docs/kafka-records.md).
 */
export function findRouterHost(buf: Uint8Array, msgStart: number, end: number, out: Int32Array): boolean {
  let pos = msgStart;
  while (nextPair(buf, pos, end, cursor)) {
    pos = cursor.next;
    const k = cursor.keyStart;
    if (cursor.hasValue && bytesEqual(buf, k, cursor.keyEnd, K_HOST)) {
      if (cursor.valueEnd === cursor.valueStart) return false;
      out[0] = cursor.valueStart;
      out[1] = cursor.valueEnd;
      return true;
    }
  }
  return false;
}

const QUESTION_MARK = 0x3f;

/**
 * Offsets of the `path=` value in the router message `buf[msgStart, end)` up to its
 * first `?` (the query string is not part of the path), written to `out[0..1]`; false
 * when there is none. `path="/cart_link?x=1"` → `/cart_link`. The drain hashes it to
 * spread a hot app over partitions (ingest/hot-app-keys.ts).
 */
export function findRouterPath(buf: Uint8Array, msgStart: number, end: number, out: Int32Array): boolean {
  let pos = msgStart;
  while (nextPair(buf, pos, end, cursor)) {
    pos = cursor.next;
    const k = cursor.keyStart;
    if (cursor.hasValue && bytesEqual(buf, k, cursor.keyEnd, K_PATH)) {
      const vs = cursor.valueStart;
      let ve = vs;
      while (ve < cursor.valueEnd && buf[ve] !== QUESTION_MARK) ve++;
      out[0] = vs;
      out[1] = ve;
      return true;
    }
  }
  return false;
}
