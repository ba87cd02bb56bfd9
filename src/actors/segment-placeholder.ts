/**
 * Built-in recognition of identifier-like path segments. Each check is a single
 * left-to-right scan over the characters (no regular expressions, so no
 * backtracking: cost is linear in the segment length whatever a client sends).
 *
 *   placeholder  rule (tried in this order)                        example
 *   :id          digits only                                        123
 *   :uuid        8-4-4-4-12 hex digits with dashes                  0b7e…-…-…-…-…
 *   :date        an ISO date, YYYY-MM-DD                            2025-03-12
 *   :hex         ≥ 8 hex digits, at least one digit 0-9             9f8e1c2a
 *   :token       ≥ 20 chars of [A-Za-z0-9_.~=-] containing a run of
 *                ≥ 8 alphanumerics that mixes letters and digits     aZ3kQ9…
 *   :slug        lowercase words joined by '-', ending in '-<digits>'  summer-sale-123
 *
 * The :slug rule covers the common "title-<id>" shape (products, posts), where
 * the trailing number makes every URL distinct; a slug without a number is
 * left alone, since it cannot be told from a static route like /about-us.
 * The :token rule deliberately leaves slugs alone: in
 * "how-to-configure-redis-2023" every alphanumeric run is all letters or all
 * digits, whereas a random base64url token almost surely has a long mixed run.
 */
export const PLACEHOLDER_ID = ':id';
export const PLACEHOLDER_UUID = ':uuid';
export const PLACEHOLDER_HEX = ':hex';
export const PLACEHOLDER_TOKEN = ':token';
export const PLACEHOLDER_DATE = ':date';
export const PLACEHOLDER_SLUG = ':slug';

const MIN_HEX_LENGTH = 8;
const MIN_TOKEN_LENGTH = 20;
const MIN_MIXED_RUN = 8;

/** `builtinPlaceholder` of a string: every rule needs ASCII, so a non-ASCII segment is never a placeholder. */
export function builtinPlaceholder(segment: string): string | null {
  const n = segment.length;
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < n; i++) {
    const c = segment.charCodeAt(i);
    if (c >= 0x80) return null;
    scratch[i] = c;
  }
  return builtinPlaceholderBytes(scratch, 0, n);
}

let scratch = Buffer.allocUnsafe(256);

/**
 * The placeholder of the segment `buf[start, end)` (ASCII bytes, as the runtime's
 * templater reads them from a record), or null. The rules read bytes so that the hot
 * path never decodes a segment to a string to classify it.
 */
export function builtinPlaceholderBytes(buf: Uint8Array, start: number, end: number): string | null {
  const n = end - start;
  if (n <= 0) return null;
  if (isDigits(buf, start, end)) return PLACEHOLDER_ID;
  if (n === 36 && isUuid(buf, start)) return PLACEHOLDER_UUID;
  if (n === 10 && isIsoDate(buf, start)) return PLACEHOLDER_DATE;
  if (n >= MIN_HEX_LENGTH && isHexWithDigit(buf, start, end)) return PLACEHOLDER_HEX;
  if (n >= MIN_TOKEN_LENGTH && isToken(buf, start, end)) return PLACEHOLDER_TOKEN;
  if (isNumberedSlug(buf, start, end)) return PLACEHOLDER_SLUG;
  return null;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isDigits(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(b[i]!)) return false;
  return true;
}

function isUuid(b: Uint8Array, start: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = b[start + i]!;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return false;
    } else if (!isDigit(c) && !isHexLetter(c)) {
      return false;
    }
  }
  return true;
}

/** YYYY-MM-DD with a plausible month and day. */
function isIsoDate(b: Uint8Array, start: number): boolean {
  for (let i = 0; i < 10; i++) {
    const c = b[start + i]!;
    if (i === 4 || i === 7) {
      if (c !== 45 /* - */) return false;
    } else if (!isDigit(c)) {
      return false;
    }
  }
  const month = (b[start + 5]! - 48) * 10 + (b[start + 6]! - 48);
  const day = (b[start + 8]! - 48) * 10 + (b[start + 9]! - 48);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** `word(-word)*-digits`: lowercase letters and digits, starting with a letter, last part all digits. */
function isNumberedSlug(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 3 || !isLowerLetter(b[start]!)) return false;
  let lastDash = start - 1;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 45 /* - */) {
      if (i === lastDash + 1 || i === end - 1) return false; // empty part
      lastDash = i;
    } else if (!isLowerLetter(c) && !isDigit(c)) {
      return false;
    }
  }
  if (lastDash < start) return false;
  for (let i = lastDash + 1; i < end; i++) if (!isDigit(b[i]!)) return false;
  return true;
}

function isLowerLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHexWithDigit(b: Uint8Array, start: number, end: number): boolean {
  let digit = false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (isDigit(c)) digit = true;
    else if (!isHexLetter(c)) return false;
  }
  return digit;
}

function isToken(b: Uint8Array, start: number, end: number): boolean {
  let mixed = false;
  let run = 0;
  let runLetters = false;
  let runDigits = false;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (isDigit(c)) {
      run++;
      runDigits = true;
    } else if (isLetter(c)) {
      run++;
      runLetters = true;
    } else if (c === 45 || c === 95 || c === 46 || c === 126 || c === 61 /* - _ . ~ = */) {
      run = 0;
      runLetters = false;
      runDigits = false;
      continue;
    } else {
      return false;
    }
    if (run >= MIN_MIXED_RUN && runLetters && runDigits) mixed = true;
  }
  return mixed;
}
