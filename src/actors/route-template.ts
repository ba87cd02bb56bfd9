import { RoutemeterError } from '../errors/routemeter-error.js';
import { builtinPlaceholder } from './segment-placeholder.js';
import { TemplateCache } from './template-cache.js';

/**
 * Raw router `path=` values → route templates, so that `/users/123/orders/9f8e1c2a?x=1`
 * and `/users/7/orders/0a1b2c3d` are one route: `/users/:id/orders/:hex`.
 *
 * Normalisation, in order:
 *  1. the query string (`?…`) and fragment (`#…`) are dropped; an absolute-form
 *     target (`http://host/p`, sent by proxies and scanners) keeps only its path;
 *  2. empty segments are dropped: `//a//b/` ≡ `/a/b` (a trailing slash is not a
 *     different route); the root stays `/`;
 *  3. percent-encoding: escapes of unreserved characters are decoded (`%61` → `a`),
 *     other escapes get upper-case hex (`%2f` → `%2F`, never decoded: it is not a
 *     separator), malformed escapes are kept as they are; a raw `|` becomes `%7C`
 *     because `|` separates route and field in Redis;
 *  4. each segment is replaced by the placeholder of the first matching rule:
 *     the user patterns (Config.runtime.routePatterns, tried in order, each a regex
 *     that must match the whole segment), then the built-ins (`:id`, `:uuid`,
 *     `:date`, `:hex`, `:token`, `:slug`, in that order; segment-placeholder.ts
 *     has the rules). If the whole segment does not
 *     match but its stem does (`123.png`), the extension is kept: `:id.png`;
 *  5. a segment still longer than 64 characters becomes `:long`; after 24 segments
 *     the rest of the path becomes `:rest`.
 *
 * The built-ins are linear-time scans. User patterns are regular expressions the
 * operator wrote; they only run on cache misses. Raw paths (without the query)
 * are cached from their second sighting on: on an id-heavy stream that halves the
 * templating cost compared with caching every path (measured), because one-off
 * paths no longer evict the ones that repeat.
 */
export interface RoutePattern {
  /** a regular expression for one path segment (implicitly anchored at both ends) */
  pattern: string;
  /** what the segment becomes, e.g. ":sku" */
  placeholder: string;
  /** `pattern` already compiled and anchored (config.ts compiles ROUTE_PATTERNS once, at load) */
  regex?: RegExp;
}

export interface CompiledRoutePattern {
  regex: RegExp;
  placeholder: string;
}

export interface RouteTemplaterOptions {
  patterns?: readonly RoutePattern[];
  /** number of raw paths remembered (default 10 000) */
  cacheSize?: number;
}

export const PLACEHOLDER_LONG = ':long';
export const PLACEHOLDER_REST = ':rest';
const MAX_SEGMENT_LENGTH = 64;
const MAX_SEGMENTS = 24;
const MAX_EXTENSION_LENGTH = 8;
export const DEFAULT_TEMPLATE_CACHE_SIZE = 10_000;
const DOORKEEPER_MASK = (1 << 15) - 1;

/** FNV-1a over UTF-16 code units: cheap, and good enough to spot a repeated path */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 1; // never 0, the empty slot
}

export function compileRoutePatterns(patterns: readonly RoutePattern[]): CompiledRoutePattern[] {
  return patterns.map((p, i) => {
    if (p.placeholder.length === 0 || p.placeholder.includes('/')) {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `ROUTE_PATTERNS[${i}].placeholder must be non-empty, without "/"`,
      );
    }
    try {
      const regex = p.regex ?? new RegExp(`^(?:${p.pattern})$`);
      return { regex, placeholder: p.placeholder.replaceAll('|', '%7C') };
    } catch (err) {
      throw new RoutemeterError('RM_ERR_CONFIG', `ROUTE_PATTERNS[${i}].pattern: ${(err as Error).message}`, {
        cause: err,
      });
    }
  });
}

/** Caches templates per raw path; one instance may be shared by all aggregators of a thread. */
export class RouteTemplater {
  private readonly patterns: CompiledRoutePattern[];
  private readonly cache: TemplateCache;
  private readonly doorkeeper = new Int32Array(DOORKEEPER_MASK + 1);

  constructor(options: RouteTemplaterOptions = {}) {
    this.patterns = compileRoutePatterns(options.patterns ?? []);
    this.cache = new TemplateCache(options.cacheSize ?? DEFAULT_TEMPLATE_CACHE_SIZE);
  }

  template(rawPath: string): string {
    const q = rawPath.indexOf('?');
    const key = q < 0 ? rawPath : rawPath.slice(0, q);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const template = templatePath(key, this.patterns);
    // Doorkeeper: cache a path only the second time it is seen (within the
    // table's memory). Paths with unique ids (/orders/83412) would otherwise
    // churn the cache, evicting the paths that do repeat, and feed the GC.
    const h = hashString(key);
    const slot = h & DOORKEEPER_MASK;
    if (this.doorkeeper[slot] !== h) {
      this.doorkeeper[slot] = h;
      return template;
    }
    // Copy the key before keeping it: a parser's substring can pin the whole
    // record it was cut from (V8 sliced strings keep their parent alive).
    this.cache.set((' ' + key).slice(1), template);
    return template;
  }

  get cachedPaths(): number {
    return this.cache.size;
  }
}

export function templatePath(rawPath: string, patterns: readonly CompiledRoutePattern[] = []): string {
  let end = rawPath.length;
  for (let i = 0; i < end; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) end = i;
  }
  let start = 0;
  if (rawPath.charCodeAt(0) !== 47 /* / */) {
    if (rawPath.startsWith('*') && end === 1) return '*';
    const scheme = rawPath.indexOf('://');
    if (scheme > 0 && scheme < 8 && scheme < end) {
      const slash = rawPath.indexOf('/', scheme + 3);
      start = slash < 0 || slash >= end ? end : slash;
    }
  }
  let out = '';
  let segments = 0;
  let segStart = start;
  for (let i = start; i <= end; i++) {
    if (i < end && rawPath.charCodeAt(i) !== 47) continue;
    if (i > segStart) {
      if (segments === MAX_SEGMENTS) {
        out += '/' + PLACEHOLDER_REST;
        break;
      }
      out += '/' + templateSegment(normalizeSegment(rawPath.slice(segStart, i)), patterns);
      segments++;
    }
    segStart = i + 1;
  }
  return out === '' ? '/' : out;
}

function templateSegment(segment: string, patterns: readonly CompiledRoutePattern[]): string {
  const whole = placeholderFor(segment, patterns);
  if (whole !== null) return whole;
  const dot = segment.lastIndexOf('.');
  if (dot > 0 && segment.length - dot - 1 <= MAX_EXTENSION_LENGTH && isAlnum(segment, dot + 1)) {
    const stem = placeholderFor(segment.slice(0, dot), patterns);
    if (stem !== null) return stem + segment.slice(dot);
  }
  return segment.length > MAX_SEGMENT_LENGTH ? PLACEHOLDER_LONG : segment;
}

function placeholderFor(segment: string, patterns: readonly CompiledRoutePattern[]): string | null {
  for (const p of patterns) if (p.regex.test(segment)) return p.placeholder;
  return builtinPlaceholder(segment);
}

function isAlnum(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" */
function isUnreserved(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126
  );
}

export function normalizeSegment(segment: string): string {
  if (segment.indexOf('%') < 0 && segment.indexOf('|') < 0) return segment;
  let out = '';
  const n = segment.length;
  for (let i = 0; i < n; i++) {
    const c = segment.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < n) {
      const hi = hexValue(segment.charCodeAt(i + 1));
      const lo = hexValue(segment.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        const code = hi * 16 + lo;
        out += isUnreserved(code)
          ? String.fromCharCode(code)
          : '%' + segment.slice(i + 1, i + 3).toUpperCase();
        i += 2;
        continue;
      }
    }
    out += c === 124 /* | */ ? '%7C' : segment[i];
  }
  return out;
}
