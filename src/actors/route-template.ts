import { RoutemeterError } from '../errors/routemeter-error.js';
import { ByteKeyCache, FNV_OFFSET, FNV_PRIME, hashBytes } from './byte-key-table.js';
import { builtinPlaceholder, builtinPlaceholderBytes } from './segment-placeholder.js';

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
 *
 * The stream runtime templates from the record's bytes (`templateBytes`), in three
 * cached steps, so that a steady stream allocates nothing per record, even when
 * every path carries a fresh id:
 *
 *   raw path bytes ──hit──► template                    (paths seen twice)
 *        │ miss
 *        ▼ per segment: bytes ──► segment id            (segments seen twice; a
 *          fresh `12345` is classified from its bytes without a cache entry)
 *        ▼ the segment ids ──► template                 (one string per distinct route)
 *
 * Templates come out interned (the same string object for the same route), so the
 * aggregator's Map lookups hash each route string once, not once per record.
 * Same rules and same results as `templatePath`; a path with non-ASCII bytes, `%`
 * or `|` goes through `templatePath` itself.
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
  /** raw paths and segments seen once (their hashes): both caches admit on a second sighting */
  private readonly doorkeeper = new Int32Array(DOORKEEPER_MASK + 1);
  private readonly segmentDoorkeeper = new Int32Array(DOORKEEPER_MASK + 1);
  // templateBytes: raw path → template, segment bytes → segment id, segment ids → template
  private readonly pathCache: ByteKeyCache<string>;
  private readonly segmentCache = new ByteKeyCache<number>(SEGMENT_CACHE_GENERATION, MAX_SEGMENT_LENGTH + 1);
  private readonly templateCache = new ByteKeyCache<string>(
    TEMPLATE_TABLE_GENERATION,
    4 * (MAX_SEGMENTS + 1),
  );
  private readonly segmentIds = new Map<string, number>();
  private segmentStrings: string[] = [];
  private readonly ids = new Int32Array(MAX_SEGMENTS + 1);
  private readonly idBytes = new Uint8Array(this.ids.buffer);

  /** `template(string)`'s bytes (grown to the longest path seen) */
  private scratch = Buffer.allocUnsafe(256);

  constructor(options: RouteTemplaterOptions = {}) {
    this.patterns = compileRoutePatterns(options.patterns ?? []);
    const size = options.cacheSize ?? DEFAULT_TEMPLATE_CACHE_SIZE;
    this.pathCache = new ByteKeyCache<string>(Math.max(1, Math.floor(size / 2)), MAX_CACHED_PATH_BYTES);
  }

  /**
   * `templateBytes` of a path given as a string (tools, replay, events built by hand):
   * encoded once into a scratch buffer, so strings and records share one cache. A
   * string that is not valid UTF-16 (a lone surrogate) is templated as its UTF-8
   * encoding reads back, with U+FFFD in its place, as a record's bytes would be.
   */
  template(rawPath: string): string {
    const max = 3 * rawPath.length; // UTF-8 bytes per UTF-16 code unit, at most
    if (this.scratch.length < max) this.scratch = Buffer.allocUnsafe(Math.max(max, 2 * this.scratch.length));
    return this.templateBytes(this.scratch, 0, this.scratch.write(rawPath, 0, 'utf8'));
  }

  /**
   * The template of the raw path `buf[start, end)` (the `path=` value's bytes, query
   * string included or not): `templatePath(buf.toString('utf8', start, end))`,
   * without decoding the path. The hot path of the stream runtime.
   */
  templateBytes(buf: Buffer, start: number, end: number): string {
    // One pass: where the path ends (`?`, `#`), whether it is plain ASCII, and its hash.
    let stop = start;
    let ascii = true;
    let h = FNV_OFFSET;
    while (stop < end) {
      const c = buf[stop]!;
      if (c === 63 /* ? */ || c === 35 /* # */) break;
      if (c >= 0x80 || c === 37 /* % */ || c === 124 /* | */) ascii = false;
      h = Math.imul(h ^ c, FNV_PRIME);
      stop++;
    }
    h |= 1;
    const hit = this.pathCache.get(buf, start, stop, h);
    if (hit !== undefined) return hit;
    const template = ascii
      ? this.templateAscii(buf, start, stop)
      : this.intern(templatePath(buf.toString('utf8', start, stop), this.patterns));
    // Cache a path only the second time it is seen (within the doorkeeper's memory):
    // paths with unique ids (/orders/83412) would otherwise churn the cache, evicting
    // the paths that do repeat.
    if (secondSighting(this.doorkeeper, h)) this.pathCache.set(buf, start, stop, h, template);
    return template;
  }

  get cachedPaths(): number {
    return this.pathCache.size;
  }

  /** `templatePath` of an ASCII path without `%`, `|`, `?` or `#`, segment by segment from the bytes. */
  private templateAscii(buf: Buffer, start: number, end: number): string {
    // A runaway variety of segments (a scan for random URLs) must not grow the
    // tables without bound: start over, before any id of this path is taken.
    if (this.segmentStrings.length >= MAX_SEGMENT_STRINGS) this.forgetSegments();
    let from = start;
    if (buf[start] !== 47 /* / */) {
      if (buf[start] === 42 /* * */ && end - start === 1) return '*';
      const scheme = indexOfScheme(buf, start, end);
      if (scheme > start && scheme - start < 8) {
        from = end;
        for (let i = scheme + 3; i < end; i++) {
          if (buf[i] === 47) {
            from = i;
            break;
          }
        }
      }
    }
    const ids = this.ids;
    let n = 0;
    let segStart = from;
    let h = FNV_OFFSET; // of the segment being read (hashBytes, computed on the way)
    for (let i = from; i <= end; i++) {
      const c = i < end ? buf[i]! : 47;
      if (c !== 47 /* / */) {
        h = Math.imul(h ^ c, FNV_PRIME);
        continue;
      }
      if (i > segStart) {
        if (n === MAX_SEGMENTS) {
          ids[n++] = this.segmentId(PLACEHOLDER_REST);
          break;
        }
        ids[n++] = this.segmentOf(buf, segStart, i, h | 1);
      }
      segStart = i + 1;
      h = FNV_OFFSET;
    }
    if (n === 0) return '/';
    const key = this.idBytes;
    const kh = hashBytes(key, 0, 4 * n);
    const hit = this.templateCache.get(key, 0, 4 * n, kh);
    if (hit !== undefined) return hit;
    let out = '';
    for (let k = 0; k < n; k++) out += '/' + this.segmentStrings[ids[k]!]!;
    out = this.intern(out);
    this.templateCache.set(key, 0, 4 * n, kh, out);
    return out;
  }

  /** The id of what the ASCII segment `buf[start, end)` (hash `h`) templates to. */
  private segmentOf(buf: Buffer, start: number, end: number, h: number): number {
    if (this.patterns.length === 0) {
      // Without user patterns the built-ins decide first, from the bytes: a fresh id
      // costs a short scan, not a cache probe that is bound to miss.
      const builtin = builtinPlaceholderBytes(buf, start, end);
      if (builtin !== null) return this.segmentId(builtin);
    }
    const long = end - start > MAX_SEGMENT_LENGTH;
    if (!long) {
      const hit = this.segmentCache.get(buf, start, end, h);
      if (hit !== undefined) return hit;
    }
    const result =
      this.patterns.length > 0 ? this.withPatterns(buf, start, end) : this.withExtension(buf, start, end);
    const id = this.segmentId(result);
    // A segment is cached from its second sighting on (one-off ids would churn it).
    if (!long && secondSighting(this.segmentDoorkeeper, h)) this.segmentCache.set(buf, start, end, h, id);
    return id;
  }

  /**
   * `templateSegment` with user patterns: they are regular expressions, so they need the
   * segment as a string; the built-ins still read the bytes, and only a segment with a
   * dot (a possible `:id.png`) takes the string path in full.
   */
  private withPatterns(buf: Buffer, start: number, end: number): string {
    const segment = latin1(buf, start, end);
    for (const p of this.patterns) if (p.regex.test(segment)) return p.placeholder;
    const builtin = builtinPlaceholderBytes(buf, start, end);
    if (builtin !== null) return builtin;
    for (let i = start + 1; i < end; i++) {
      if (buf[i] === 46 /* . */) return templateSegment(segment, this.patterns);
    }
    return end - start > MAX_SEGMENT_LENGTH ? PLACEHOLDER_LONG : segment;
  }

  /** `templateSegment` without user patterns, for a segment that is no placeholder as a whole. */
  private withExtension(buf: Buffer, start: number, end: number): string {
    let dot = end - 1;
    while (dot > start && buf[dot] !== 46 /* . */) dot--;
    if (dot > start && end - dot - 1 <= MAX_EXTENSION_LENGTH && isAlnumBytes(buf, dot + 1, end)) {
      const stem = builtinPlaceholderBytes(buf, start, dot);
      if (stem !== null) return stem + latin1(buf, dot, end);
    }
    return end - start > MAX_SEGMENT_LENGTH ? PLACEHOLDER_LONG : latin1(buf, start, end);
  }

  private segmentId(segment: string): number {
    let id = this.segmentIds.get(segment);
    if (id === undefined) {
      id = this.segmentStrings.length;
      const kept = (' ' + segment).slice(1);
      this.segmentStrings.push(kept);
      this.segmentIds.set(kept, id);
    }
    return id;
  }

  private readonly interned = new Map<string, string>();

  /** One string object per distinct template (bounded like the segments). */
  private intern(template: string): string {
    const hit = this.interned.get(template);
    if (hit !== undefined) return hit;
    if (this.interned.size >= MAX_SEGMENT_STRINGS) this.interned.clear();
    const kept = (' ' + template).slice(1);
    this.interned.set(kept, kept);
    return kept;
  }

  private forgetSegments(): void {
    this.segmentIds.clear();
    this.segmentStrings = [];
    this.segmentCache.clear();
    this.templateCache.clear();
  }
}

/** Segment strings (and interned templates) kept before the byte tables start over. */
const MAX_SEGMENT_STRINGS = 50_000;
const SEGMENT_CACHE_GENERATION = 8_192;
const TEMPLATE_TABLE_GENERATION = 8_192;
/** raw paths longer than this are templated every time instead of cached */
const MAX_CACHED_PATH_BYTES = 512;

/** True when `h` was the last hash seen in its slot; remembers it either way. */
function secondSighting(doorkeeper: Int32Array, h: number): boolean {
  const slot = h & DOORKEEPER_MASK;
  if (doorkeeper[slot] === h) return true;
  doorkeeper[slot] = h;
  return false;
}

function latin1(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end);
}

function indexOfScheme(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i + 2 < end; i++) {
    if (buf[i] === 58 /* : */ && buf[i + 1] === 47 && buf[i + 2] === 47) return i;
  }
  return -1;
}

function isAlnumBytes(buf: Uint8Array, from: number, end: number): boolean {
  if (from >= end) return false;
  for (let i = from; i < end; i++) {
    const c = buf[i]!;
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
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
