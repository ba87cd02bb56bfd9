import { parseRfc3339 } from './rfc3339-timestamp.js';

/**
 * The RFC 5424 header of a logplex message, WITHOUT the STRUCTURED-DATA field
 * (Heroku leaves it out entirely, not even a `-` NILVALUE, so a strict RFC 5424
 * parser rejects these lines):
 *
 *   <158>1 2016-06-20T21:56:57.107495+00:00 host heroku router - at=info method=GET …
 *   <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID MSG
 *
 * HOSTNAME is the literal `host`; APP-NAME is `heroku` (platform) or `app` (the
 * app's own output); PROCID is `router`, `web.1`, `logplex`, …; MSGID is `-`.
 *
 * The parser fills a reusable `SyslogHeader` with offsets into the Buffer (no
 * string per field) and returns false on anything it cannot read; it never throws.
 */
export interface SyslogHeader {
  /** facility * 8 + severity, 0–191 */
  pri: number;
  version: number;
  /** epoch ms; NaN when TIMESTAMP is the NILVALUE `-` */
  timestampMs: number;
  hostStart: number;
  hostEnd: number;
  appStart: number;
  appEnd: number;
  procStart: number;
  procEnd: number;
  msgidStart: number;
  msgidEnd: number;
  /** first byte of MSG; equals the end of the line when there is no MSG */
  msgStart: number;
}

export function createSyslogHeader(): SyslogHeader {
  return {
    pri: -1,
    version: -1,
    timestampMs: Number.NaN,
    hostStart: 0,
    hostEnd: 0,
    appStart: 0,
    appEnd: 0,
    procStart: 0,
    procEnd: 0,
    msgidStart: 0,
    msgidEnd: 0,
    msgStart: 0,
  };
}

const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DASH = 0x2d;
/** RFC 5424 caps APP-NAME at 48, PROCID at 128, HOSTNAME at 255 bytes; a field never spans more. */
const MAX_FIELD = 255;

/** Index of the next space in `[from, min(end, from + max)]`, or -1 (an empty field also gives -1). */
function fieldEnd(buf: Uint8Array, from: number, end: number, max: number): number {
  const limit = Math.min(end, from + max + 1);
  for (let i = from; i < limit; i++) {
    if (buf[i] === SPACE) return i === from ? -1 : i;
  }
  return -1;
}

/** Parses the header of the syslog line `buf[start, end)` into `out`; false if it is not one. */
export function parseSyslogHeader(buf: Uint8Array, start: number, end: number, out: SyslogHeader): boolean {
  let p = start;
  if (end - p < 4 || buf[p] !== 0x3c) return false;
  p++;
  // PRI: 1–3 digits, then '>'.
  let pri = 0;
  const priStart = p;
  while (p < end && p - priStart < 3 && buf[p]! >= DIGIT_0 && buf[p]! <= DIGIT_9) {
    pri = pri * 10 + (buf[p]! - DIGIT_0);
    p++;
  }
  if (p === priStart || p >= end || buf[p] !== 0x3e || pri > 191) return false;
  p++;
  // VERSION: 1–2 digits, then a space.
  let version = 0;
  const versionStart = p;
  while (p < end && p - versionStart < 2 && buf[p]! >= DIGIT_0 && buf[p]! <= DIGIT_9) {
    version = version * 10 + (buf[p]! - DIGIT_0);
    p++;
  }
  if (p === versionStart || version === 0 || p >= end || buf[p] !== SPACE) return false;
  p++;

  const tsEnd = fieldEnd(buf, p, end, 40);
  if (tsEnd < 0) return false;
  let timestampMs = Number.NaN;
  if (!(tsEnd - p === 1 && buf[p] === DASH)) {
    timestampMs = parseRfc3339(buf, p, tsEnd);
    if (Number.isNaN(timestampMs)) return false;
  }
  p = tsEnd + 1;

  const hostEnd = fieldEnd(buf, p, end, MAX_FIELD);
  if (hostEnd < 0) return false;
  const hostStart = p;
  p = hostEnd + 1;

  const appEnd = fieldEnd(buf, p, end, 48);
  if (appEnd < 0) return false;
  const appStart = p;
  p = appEnd + 1;

  const procEnd = fieldEnd(buf, p, end, 128);
  if (procEnd < 0) return false;
  const procStart = p;
  p = procEnd + 1;

  // MSGID is the last field; a line that stops right after it has an empty MSG.
  const msgidStart = p;
  let msgidEnd = fieldEnd(buf, p, end, 32);
  let msgStart: number;
  if (msgidEnd < 0) {
    let i = p;
    while (i < end && i - p <= 32 && buf[i] !== SPACE) i++;
    if (i !== end || i === p) return false;
    msgidEnd = end;
    msgStart = end;
  } else {
    msgStart = msgidEnd + 1;
  }

  out.pri = pri;
  out.version = version;
  out.timestampMs = timestampMs;
  out.hostStart = hostStart;
  out.hostEnd = hostEnd;
  out.appStart = appStart;
  out.appEnd = appEnd;
  out.procStart = procStart;
  out.procEnd = procEnd;
  out.msgidStart = msgidStart;
  out.msgidEnd = msgidEnd;
  out.msgStart = msgStart;
  return true;
}

/** True when `buf[start, end)` holds exactly the ASCII bytes of `word` (given as bytes). */
export function bytesEqual(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word[i]) return false;
  return true;
}

/** The header's fields as strings, for tests, logs and the general (non hot path) API. */
export function syslogHeaderFields(
  buf: Uint8Array,
  h: SyslogHeader,
): { host: string; app: string; procid: string; msgid: string } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    host: b.toString('utf8', h.hostStart, h.hostEnd),
    app: b.toString('utf8', h.appStart, h.appEnd),
    procid: b.toString('utf8', h.procStart, h.procEnd),
    msgid: b.toString('utf8', h.msgidStart, h.msgidEnd),
  };
}
