/**
 * Built-in recognition of identifier-like path segments. Each check is a single
 * left-to-right scan over the characters (no regular expressions, so no
 * backtracking: cost is linear in the segment length whatever a client sends).
 *
 *   placeholder  rule (tried in this order)                        example
 *   :id          digits only                                        123
 *   :uuid        8-4-4-4-12 hex digits with dashes                  0b7e…-…-…-…-…
 *   :hex         ≥ 8 hex digits, at least one digit 0-9             9f8e1c2a
 *   :token       ≥ 20 chars of [A-Za-z0-9_.~=-] containing a run of
 *                ≥ 8 alphanumerics that mixes letters and digits     aZ3kQ9…
 *
 * The :token rule deliberately leaves slugs alone: in
 * "how-to-configure-redis-2023" every alphanumeric run is all letters or all
 * digits, whereas a random base64url token almost surely has a long mixed run.
 */
export const PLACEHOLDER_ID = ':id';
export const PLACEHOLDER_UUID = ':uuid';
export const PLACEHOLDER_HEX = ':hex';
export const PLACEHOLDER_TOKEN = ':token';

const MIN_HEX_LENGTH = 8;
const MIN_TOKEN_LENGTH = 20;
const MIN_MIXED_RUN = 8;

export function builtinPlaceholder(segment: string): string | null {
  const n = segment.length;
  if (n === 0) return null;
  if (isDigits(segment)) return PLACEHOLDER_ID;
  if (n === 36 && isUuid(segment)) return PLACEHOLDER_UUID;
  if (n >= MIN_HEX_LENGTH && isHexWithDigit(segment)) return PLACEHOLDER_HEX;
  if (n >= MIN_TOKEN_LENGTH && isToken(segment)) return PLACEHOLDER_TOKEN;
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

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function isUuid(s: string): boolean {
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return false;
    } else if (!isDigit(c) && !isHexLetter(c)) {
      return false;
    }
  }
  return true;
}

function isHexWithDigit(s: string): boolean {
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) digit = true;
    else if (!isHexLetter(c)) return false;
  }
  return digit;
}

function isToken(s: string): boolean {
  let mixed = false;
  let run = 0;
  let runLetters = false;
  let runDigits = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
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
