/**
 * The RFC 5424 TIMESTAMP (an RFC 3339 date-time) of Heroku's syslog lines:
 *
 *   2016-06-20T21:56:57.107495+00:00
 *   YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
 *
 * Parsed by hand from bytes: `Date.parse` needs a string (an allocation per line)
 * and is 3–4x slower on this input (bench/drain.ts prints both rates). The
 * fraction is truncated to milliseconds; the offset is applied, so the result is
 * epoch milliseconds in UTC.
 */

const DIGIT_0 = 0x30;
const MS_PER_DAY = 86_400_000;

function digit(buf: Uint8Array, i: number): number {
  const d = buf[i]! - DIGIT_0;
  return d >= 0 && d <= 9 ? d : -1;
}

function two(buf: Uint8Array, i: number): number {
  const a = digit(buf, i);
  const b = digit(buf, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Epoch milliseconds of the timestamp in `buf[start, end)`, or NaN when it is not
 * a valid RFC 3339 date-time (the whole range must be the timestamp).
 */
export function parseRfc3339(buf: Uint8Array, start: number, end: number): number {
  // Shortest form: 2016-06-20T21:56:57Z (20 bytes).
  if (end - start < 20) return Number.NaN;
  const i = start;
  const y0 = two(buf, i);
  const y1 = two(buf, i + 2);
  const month = two(buf, i + 5);
  const day = two(buf, i + 8);
  const hour = two(buf, i + 11);
  const minute = two(buf, i + 14);
  const second = two(buf, i + 17);
  if (
    y0 < 0 ||
    y1 < 0 ||
    buf[i + 4] !== 0x2d ||
    buf[i + 7] !== 0x2d ||
    (buf[i + 10] !== 0x54 && buf[i + 10] !== 0x74) ||
    buf[i + 13] !== 0x3a ||
    buf[i + 16] !== 0x3a
  ) {
    return Number.NaN;
  }
  const year = y0 * 100 + y1;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return Number.NaN;
  if (month === 2 && day === 29 && !isLeap(year)) return Number.NaN;
  // Second 60 is a leap second (RFC 3339 allows it); it folds into the next second.
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return Number.NaN;

  let p = i + 19;
  let millis = 0;
  if (buf[p] === 0x2e) {
    p++;
    const fracStart = p;
    // Digits past the third (Heroku sends microseconds) are read and truncated.
    let scale = 100;
    while (p < end) {
      const d = digit(buf, p);
      if (d < 0) break;
      millis += d * scale;
      scale = scale === 1 ? 0 : scale / 10;
      p++;
    }
    if (p === fracStart) return Number.NaN;
  }
  if (p >= end) return Number.NaN;

  let offsetMinutes = 0;
  const sign = buf[p];
  if (sign === 0x5a || sign === 0x7a) {
    p++;
  } else if (sign === 0x2b || sign === 0x2d) {
    if (end - p < 6 || buf[p + 3] !== 0x3a) return Number.NaN;
    const oh = two(buf, p + 1);
    const om = two(buf, p + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMinutes = (oh * 60 + om) * (sign === 0x2b ? 1 : -1);
    p += 6;
  } else {
    return Number.NaN;
  }
  if (p !== end) return Number.NaN;

  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis
  );
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * `2016-06-20T21:56:57.107495+00:00`: Heroku's form (UTC, six fraction digits).
 * `micros` (0–999) fills the last three fraction digits, which milliseconds cannot hold.
 */
export function formatRfc3339(epochMs: number, micros = 0): string {
  const d = new Date(epochMs);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(d.getUTCMilliseconds(), 3)}${pad(Math.min(999, Math.max(0, Math.trunc(micros))), 3)}+00:00`
  );
}
