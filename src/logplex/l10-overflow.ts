/**
 * Logplex's own report of messages it dropped before they reached this drain
 * (its per-drain buffer of 1024 messages overflowed), a line it prepends to a later batch:
 *
 *   <172>1 2016-06-20T21:56:57+00:00 host heroku logplex - Error L10 (output buffer overflow): 523 messages dropped since 2016-06-20T21:55:00+00:00.
 *
 * `parseL10Dropped` reads the number of dropped messages from the MSG part.
 */
const PREFIX = Buffer.from('Error L10 ');
const AFTER = Buffer.from('): ');
const MAX_SCAN = 64;

/** The count of an `Error L10 (…): N messages dropped …` message in `buf[start, end)`, or -1. */
export function parseL10Dropped(buf: Uint8Array, start: number, end: number): number {
  if (end - start < PREFIX.length + AFTER.length + 1) return -1;
  for (let i = 0; i < PREFIX.length; i++) if (buf[start + i] !== PREFIX[i]) return -1;
  // Find "): " within the description, e.g. "(output buffer overflow): ".
  const limit = Math.min(end - AFTER.length, start + PREFIX.length + MAX_SCAN);
  let p = -1;
  for (let i = start + PREFIX.length; i <= limit; i++) {
    if (buf[i] === AFTER[0] && buf[i + 1] === AFTER[1] && buf[i + 2] === AFTER[2]) {
      p = i + AFTER.length;
      break;
    }
  }
  if (p < 0) return -1;
  let n = 0;
  const digitsStart = p;
  while (p < end && p - digitsStart < 12 && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
    n = n * 10 + (buf[p]! - 0x30);
    p++;
  }
  return p === digitsStart ? -1 : n;
}
