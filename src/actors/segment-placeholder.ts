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

export function builtinPlaceholder(segment: string): string | null {
  const n = segment.length;
  if (n === 0) return null;
  if (isDigits(segment)) return PLACEHOLDER_ID;
  if (n === 36 && isUuid(segment)) return PLACEHOLDER_UUID;
  if (n === 10 && isIsoDate(segment)) return PLACEHOLDER_DATE;
  if (n >= MIN_HEX_LENGTH && isHexWithDigit(segment)) return PLACEHOLDER_HEX;
  if (n >= MIN_TOKEN_LENGTH && isToken(segment)) return PLACEHOLDER_TOKEN;
  if (isNumberedSlug(segment)) return PLACEHOLDER_SLUG;
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

/** YYYY-MM-DD with a plausible month and day. */
function isIsoDate(s: string): boolean {
  for (let i = 0; i < 10; i++) {
    const c = s.charCodeAt(i);
    if (i === 4 || i === 7) {
      if (c !== 45 /* - */) return false;
    } else if (!isDigit(c)) {
      return false;
    }
  }
  const month = (s.charCodeAt(5) - 48) * 10 + (s.charCodeAt(6) - 48);
  const day = (s.charCodeAt(8) - 48) * 10 + (s.charCodeAt(9) - 48);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** `word(-word)*-digits`: lowercase letters and digits, starting with a letter, last part all digits. */
function isNumberedSlug(s: string): boolean {
  const n = s.length;
  if (n < 3 || !isLowerLetter(s.charCodeAt(0))) return false;
  let lastDash = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 45 /* - */) {
      if (i === lastDash + 1 || i === n - 1) return false; // empty part
      lastDash = i;
    } else if (!isLowerLetter(c) && !isDigit(c)) {
      return false;
    }
  }
  if (lastDash < 0) return false;
  for (let i = lastDash + 1; i < n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function isLowerLetter(c: number): boolean {
  return c >= 97 && c <= 122;
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
