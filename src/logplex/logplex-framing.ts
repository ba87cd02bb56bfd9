/**
 * Octet-counted framing of a logplex HTTPS drain body (RFC 6587 §3.4.1), as Heroku
 * sends it with `Content-Type: application/logplex-1`:
 *
 *   242 <158>1 2016-06-20T21:56:57.107495+00:00 host heroku router - at=info method=GET …\n
 *   267 <158>1 2020-01-08T22:33:57.353034+00:00 host heroku router - at=info method=GET …\n
 *   ^^^ ^
 *   |   the RFC 5424 message, which ends with "\n"
 *   byte length of the message INCLUDING its trailing "\n" (UTF-8 bytes, not characters)
 *
 * Frames found in the wild sometimes carry a wrong count, so a count is trusted only
 * when it lands on a frame boundary: the end of the body, `<digits> <` (the next
 * frame's header) or `<PRI>` (an uncounted line). Otherwise the frame is repaired: the message ends at the first
 * line break that is followed by a frame header or by the end of the body. Bytes that
 * do not start a frame (`<digits> ` or an uncounted `<PRI>` line) are skipped up to
 * the next line break and counted as garbage.
 *
 * Every byte is looked at a bounded number of times (the count check is O(1), the
 * re-synchronisation scan only moves forward), so the scan is linear in the body
 * size. Nothing is copied: the callback gets offsets into the caller's Buffer, and
 * nothing here throws, whatever the input.
 */

/** What a scan found; reusable across scans (`resetFramingStats`). */
export interface FramingStats {
  /** frames handed to the callback */
  frames: number;
  /** frames whose count was wrong or missing, delimited by a line break instead */
  repaired: number;
  /** bytes that belonged to no frame */
  garbageBytes: number;
}

/**
 * Called once per frame with the message's offsets in the body: `start` is the
 * first byte of the message (`<` of `<PRI>`), `end` excludes the trailing `\n`.
 */
export type FrameCallback = (start: number, end: number) => void;

const SPACE = 0x20;
const LF = 0x0a;
const LT = 0x3c;
const GT = 0x3e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** A count has at most this many digits (logplex batches are ~100 KB; this allows 1 GB). */
const MAX_COUNT_DIGITS = 9;

export function createFramingStats(): FramingStats {
  return { frames: 0, repaired: 0, garbageBytes: 0 };
}

export function resetFramingStats(stats: FramingStats): FramingStats {
  stats.frames = 0;
  stats.repaired = 0;
  stats.garbageBytes = 0;
  return stats;
}

/**
 * Length of the `<digits><space>` frame header at `pos` if it is followed by `<`,
 * else 0. The `<` check is what separates a frame header from digits that happen
 * to start a line of an app's output.
 */
function frameHeaderLength(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  const limit = Math.min(end, pos + MAX_COUNT_DIGITS);
  while (i < limit && buf[i]! >= DIGIT_0 && buf[i]! <= DIGIT_9) i++;
  if (i === pos || i + 1 >= end || buf[i] !== SPACE || buf[i + 1] !== LT) return 0;
  return i + 1 - pos;
}

/**
 * A frame boundary: a counted frame header, or an uncounted syslog line (`<PRI>`),
 * which some senders mix in.
 */
function boundaryAt(buf: Uint8Array, pos: number, end: number): boolean {
  if (frameHeaderLength(buf, pos, end) > 0) return true;
  if (buf[pos] !== LT) return false;
  let i = pos + 1;
  while (i < end && i - pos <= 3 && buf[i]! >= DIGIT_0 && buf[i]! <= DIGIT_9) i++;
  return i > pos + 1 && i < end && buf[i] === GT;
}

function readCount(buf: Uint8Array, pos: number, digitsEnd: number): number {
  let n = 0;
  for (let i = pos; i < digitsEnd; i++) n = n * 10 + (buf[i]! - DIGIT_0);
  return n;
}

/**
 * End (exclusive, at the `\n`) of the line that starts at `from`, where a line may
 * only end at a `\n` followed by a frame header or by the end of the body; `end`
 * when there is no such line break.
 */
function findBoundary(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const nl = buf.indexOf(LF, i);
    if (nl < 0 || nl >= end) return end;
    if (nl + 1 === end || boundaryAt(buf, nl + 1, end)) return nl;
    i = nl + 1;
  }
  return end;
}

function stripLf(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === LF ? end - 1 : end;
}

/**
 * Walks the frames of `buf[start, end)`, calling `onFrame(messageStart, messageEnd)`
 * for each, and adds what it saw to `stats` (created if not given) which it returns.
 */
export function scanFrames(
  buf: Uint8Array,
  onFrame: FrameCallback,
  stats: FramingStats = createFramingStats(),
  start = 0,
  end = buf.length,
): FramingStats {
  let pos = Math.max(0, start);
  const stop = Math.min(end, buf.length);
  while (pos < stop) {
    const headerLen = frameHeaderLength(buf, pos, stop);
    if (headerLen > 0) {
      const msgStart = pos + headerLen;
      const count = readCount(buf, pos, msgStart - 1);
      const expectedEnd = msgStart + count;
      // Trust the count when it ends just after a "\n" (what logplex sends), or lands
      // on a frame boundary not just after a digit (a count one too long lands inside
      // the next frame's count, "2|67 <158>…", which looks like a header too).
      const last = buf[expectedEnd - 1]!;
      if (
        count > 0 &&
        expectedEnd <= stop &&
        (last === LF ||
          ((last < DIGIT_0 || last > DIGIT_9) &&
            (expectedEnd === stop || boundaryAt(buf, expectedEnd, stop))))
      ) {
        stats.frames++;
        onFrame(msgStart, stripLf(buf, msgStart, expectedEnd));
        pos = expectedEnd;
        continue;
      }
      // Wrong count: the message runs to the next line break at a frame boundary.
      const boundary = findBoundary(buf, msgStart, stop);
      stats.frames++;
      stats.repaired++;
      onFrame(msgStart, boundary);
      pos = boundary + 1;
      continue;
    }
    if (buf[pos] === LT) {
      // An uncounted syslog line (a sender that forgot the count): keep it, as repaired.
      const boundary = findBoundary(buf, pos, stop);
      stats.frames++;
      stats.repaired++;
      onFrame(pos, boundary);
      pos = boundary + 1;
      continue;
    }
    // Garbage: skip to the next line break that is followed by a frame.
    const boundary = findBoundary(buf, pos, stop);
    const skipTo = Math.min(stop, boundary + 1);
    stats.garbageBytes += skipTo - pos;
    pos = skipTo;
  }
  return stats;
}

/** Convenience iterator over the frames of a body (allocates one pair per frame: not for the hot path). */
export function* iterateFrames(
  buf: Uint8Array,
  stats: FramingStats = createFramingStats(),
): Generator<{ start: number; end: number }, FramingStats> {
  const found: Array<{ start: number; end: number }> = [];
  scanFrames(buf, (start, end) => found.push({ start, end }), stats);
  for (const frame of found) yield frame;
  return stats;
}
