import { createKeyValueCursor, nextPair } from './key-value-scanner.js';
import { createL2metCursor, L2metType, nextMeasurement } from './l2met-scanner.js';
import {
  createPlatformEvent,
  type PlatformEvent,
  PlatformKind,
  resetPlatformEvent,
} from './platform-event.js';
import { bytesEqual, createSyslogHeader, parseSyslogHeader } from './syslog-header.js';

/**
 * The lines of the platform topic that the dyno actors aggregate (APP-NAME `heroku`,
 * PROCID the dyno), formats from Dev Center "log-runtime-metrics" and "Error Codes":
 *
 *   source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=180.43MB
 *     sample#memory_rss=170.11MB sample#memory_cache=10.32MB sample#memory_swap=0.00MB
 *     sample#memory_pgpgin=12345pages sample#memory_pgpgout=6789pages sample#memory_quota=512.00MB
 *   source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99
 *   Error R14 (Memory quota exceeded)
 *   Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch
 *   Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM
 *   Error R15 (Memory quota vastly exceeded)
 *   Error L10 (output buffer overflow): 523 messages dropped since 2016-06-20T21:55:00+00:00.   (PROCID logplex)
 *   State changed from up to starting          (a restart or the daily cycling; `… to crashed` is a crash)
 *   Process exited with status 143
 *
 * Units are suffixes of the number (`MB`, `pages`); memory is converted to MB
 * (`kB`, `GB`, `B` too; no unit = MB). A unit routemeter does not know leaves the field NaN.
 * Anything else (`Restarting`, `Starting process with command …`, the app's own
 * output when DRAIN_APP_OUTPUT=platform) parses as `PlatformKind.Other`.
 */

const HEROKU = Buffer.from('heroku');
const SOURCE = Buffer.from('source');
const ERROR = Buffer.from('Error ');
const STATE = Buffer.from('State changed from ');
const TO = Buffer.from(' to ');
const EXITED = Buffer.from('Process exited with status ');
/** a dyno or process name longer than this is not Heroku's: cut, so a bad line cannot grow strings */
const MAX_DYNO = 64;
const MAX_STATE = 16;

// sample names, told apart by length then bytes
const M_TOTAL = Buffer.from('memory_total');
const M_RSS = Buffer.from('memory_rss');
const M_CACHE = Buffer.from('memory_cache');
const M_SWAP = Buffer.from('memory_swap');
const M_QUOTA = Buffer.from('memory_quota');
const M_PGPGIN = Buffer.from('memory_pgpgin');
const M_PGPGOUT = Buffer.from('memory_pgpgout');
const L_1M = Buffer.from('load_avg_1m');
const L_5M = Buffer.from('load_avg_5m');
const L_15M = Buffer.from('load_avg_15m');

// Scratch state (one JS thread runs one parse at a time).
const header = createSyslogHeader();
const kv = createKeyValueCursor();
const m = createL2metCursor();

function startsWith(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  return end - start >= word.length && bytesEqual(buf, start, start + word.length, word);
}

/**
 * Parses the platform record value `buf[start, end)` (syslog header and message, no
 * octet count, no trailing `\n`) into `out`. False, leaving `out` unspecified, when it
 * is not a syslog line or has no usable timestamp; true otherwise, with `out.kind`
 * saying what it held (`Other` for lines the dyno actors ignore). Never throws.
 */
export function parsePlatformEvent(buf: Uint8Array, start: number, end: number, out: PlatformEvent): boolean {
  const stop = Math.min(end, buf.length);
  if (!parseSyslogHeader(buf, start, stop, header)) return false;
  if (Number.isNaN(header.timestampMs)) return false;
  resetPlatformEvent(out);
  out.timestampMs = header.timestampMs;
  setDyno(buf, header.procStart, header.procEnd, out);
  // Only the platform speaks for the platform: the app's own output may print anything.
  if (!bytesEqual(buf, header.appStart, header.appEnd, HEROKU)) return true;
  const ms = header.msgStart;
  if (startsWith(buf, ms, stop, ERROR)) parseError(buf, ms + ERROR.length, stop, out);
  else if (startsWith(buf, ms, stop, STATE)) parseState(buf, ms + STATE.length, stop, out);
  else if (startsWith(buf, ms, stop, EXITED)) parseExit(buf, ms + EXITED.length, stop, out);
  else parseMetrics(buf, ms, stop, out);
  return true;
}

/** `R14 (Memory quota exceeded)`: one capital letter and 1–3 digits, then a space, `(` or the end. */
function parseError(buf: Uint8Array, p: number, end: number, out: PlatformEvent): void {
  const first = buf[p];
  if (p >= end || first === undefined || first < 0x41 || first > 0x5a) return;
  let q = p + 1;
  while (q < end && q - p <= 3 && buf[q]! >= 0x30 && buf[q]! <= 0x39) q++;
  if (q === p + 1 || q - p > 4) return;
  if (q < end && buf[q] !== 0x20) return;
  out.kind = PlatformKind.Error;
  out.code = latin1(buf, p, q);
}

/** `up to starting`: two lowercase words around ` to `. */
function parseState(buf: Uint8Array, p: number, end: number, out: PlatformEvent): void {
  const fromEnd = wordEnd(buf, p, end);
  if (fromEnd < 0 || !startsWith(buf, fromEnd, end, TO)) return;
  const toStart = fromEnd + TO.length;
  const toEnd = wordEnd(buf, toStart, end);
  if (toEnd < 0 || (toEnd < end && buf[toEnd] !== 0x20)) return;
  out.kind = PlatformKind.StateChange;
  out.stateFrom = latin1(buf, p, fromEnd);
  out.stateTo = latin1(buf, toStart, toEnd);
}

/** End of a run of 1–16 lowercase letters starting at `p`, or -1. */
function wordEnd(buf: Uint8Array, p: number, end: number): number {
  let q = p;
  while (q < end && q - p <= MAX_STATE && buf[q]! >= 0x61 && buf[q]! <= 0x7a) q++;
  return q === p || q - p > MAX_STATE ? -1 : q;
}

/** `143`: the exit status, 0–255. */
function parseExit(buf: Uint8Array, p: number, end: number, out: PlatformEvent): void {
  let n = 0;
  let q = p;
  while (q < end && q - p < 3 && buf[q]! >= 0x30 && buf[q]! <= 0x39) n = n * 10 + (buf[q++]! - 0x30);
  if (q === p || n > 255 || (q < end && buf[q] !== 0x20)) return;
  out.kind = PlatformKind.Exit;
  out.exitStatus = n;
}

function parseMetrics(buf: Uint8Array, p: number, end: number, out: PlatformEvent): void {
  let pos = p;
  // `source=web.1` comes first on log-runtime-metrics lines and names the dyno
  if (startsWith(buf, p, end, SOURCE) && nextPair(buf, p, end, kv) && kv.hasValue) {
    if (bytesEqual(buf, kv.keyStart, kv.keyEnd, SOURCE) && kv.valueEnd > kv.valueStart) {
      setDyno(buf, kv.valueStart, kv.valueEnd, out);
    }
    pos = kv.next;
  }
  while (nextMeasurement(buf, pos, end, m)) {
    pos = m.next;
    if (!m.valid || m.type !== L2metType.Sample) continue;
    const ns = m.nameStart;
    const ne = m.nameEnd;
    const v = m.value;
    switch (ne - ns) {
      case 10:
        if (bytesEqual(buf, ns, ne, M_RSS)) out.memoryRssMb = toMb(buf, v);
        else continue;
        break;
      case 11:
        if (bytesEqual(buf, ns, ne, M_SWAP)) out.memorySwapMb = toMb(buf, v);
        else if (bytesEqual(buf, ns, ne, L_1M)) out.load1m = v;
        else if (bytesEqual(buf, ns, ne, L_5M)) out.load5m = v;
        else continue;
        break;
      case 12:
        if (bytesEqual(buf, ns, ne, M_TOTAL)) out.memoryTotalMb = toMb(buf, v);
        else if (bytesEqual(buf, ns, ne, M_CACHE)) out.memoryCacheMb = toMb(buf, v);
        else if (bytesEqual(buf, ns, ne, M_QUOTA)) out.memoryQuotaMb = toMb(buf, v);
        else if (bytesEqual(buf, ns, ne, L_15M)) out.load15m = v;
        else continue;
        break;
      case 13:
        if (bytesEqual(buf, ns, ne, M_PGPGIN)) out.memoryPgpgin = pages(v);
        else continue;
        break;
      case 14:
        if (bytesEqual(buf, ns, ne, M_PGPGOUT)) out.memoryPgpgout = pages(v);
        else continue;
        break;
      default:
        continue;
    }
    if (buf[ns] === 0x6d) out.memorySeen = true;
    else out.loadSeen = true;
  }
  if (out.memorySeen || out.loadSeen) out.kind = PlatformKind.Metrics;
}

/** The value in MB for the unit at the cursor: `MB` or none as is, `kB`/`KB`, `GB`, `B`; else NaN. */
function toMb(buf: Uint8Array, v: number): number {
  const us = m.unitStart;
  const n = m.unitEnd - us;
  if (n === 0) return v;
  const a = buf[us];
  if (n === 1) return a === 0x42 ? v / 1048576 : Number.NaN;
  if (n !== 2 || buf[us + 1] !== 0x42) return Number.NaN;
  if (a === 0x4d) return v;
  if (a === 0x6b || a === 0x4b) return v / 1024;
  if (a === 0x47) return v * 1024;
  return Number.NaN;
}

function pages(v: number): number {
  return Number.isInteger(v) && v >= 0 ? v : -1;
}

function setDyno(buf: Uint8Array, s: number, e: number, out: PlatformEvent): void {
  const end = Math.min(e, s + MAX_DYNO);
  out.dyno = latin1(buf, s, end);
  // `web.1` → `web`: strip a `.N` suffix of digits
  let dot = -1;
  for (let i = end - 1; i > s; i--) {
    const c = buf[i]!;
    if (c === 0x2e) {
      dot = i;
      break;
    }
    if (c < 0x30 || c > 0x39) break;
  }
  out.processType = dot > s && dot < end - 1 ? latin1(buf, s, dot) : out.dyno;
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.toString('latin1', s, e);
}

/** A copy of the event of one line, for tools and tests (the hot path reuses one event). */
export function parsePlatformLine(line: string | Uint8Array): PlatformEvent | null {
  const buf = typeof line === 'string' ? Buffer.from(line) : line;
  const out = createPlatformEvent();
  return parsePlatformEvent(buf, 0, buf.length, out) ? out : null;
}
