import { ERROR_RATE_DEFINITION } from '../query/error-rate.js';
import type { RouteStats } from '../query/route-stats.js';

/**
 * One frame of `routemeter top` as text (pure). Fits the terminal: at 80 columns
 *
 *   route                 req    rpm  p50  p95  p99  2xx  3xx  4xx  5xx  err%
 *   GET /users/:id       1204  120.4   42  180  410 1100   50   30   24   2.0
 *
 * and from 110 columns on also avg, max and the top codes. The route is cut in the
 * middle (…) when it does not fit. Latencies are ms; err% uses the API's definition.
 */
export const TOP_SORTS = ['count', 'rpm', 'avg', 'p50', 'p95', 'p99', 'max', 'errors'] as const;
export type TopSort = (typeof TOP_SORTS)[number];

const SORT_KEY: Record<TopSort, (s: RouteStats) => number> = {
  count: (s) => s.count,
  rpm: (s) => s.rpm,
  avg: (s) => s.avgMs ?? -1,
  p50: (s) => s.p50Ms ?? -1,
  p95: (s) => s.p95Ms ?? -1,
  p99: (s) => s.p99Ms ?? -1,
  max: (s) => s.maxMs ?? -1,
  errors: (s) => s.errorRate,
};

interface Column {
  head: string;
  width: number;
  wide?: boolean;
  text: (s: RouteStats) => string;
}

const COLUMNS: Column[] = [
  { head: 'req', width: 6, text: (s) => String(s.count) },
  { head: 'rpm', width: 7, text: (s) => (s.rpm >= 1000 ? s.rpm.toFixed(0) : s.rpm.toFixed(1)) },
  { head: 'avg', width: 6, wide: true, text: (s) => ms(s.avgMs) },
  { head: 'p50', width: 5, text: (s) => ms(s.p50Ms) },
  { head: 'p95', width: 5, text: (s) => ms(s.p95Ms) },
  { head: 'p99', width: 5, text: (s) => ms(s.p99Ms) },
  { head: 'max', width: 6, wide: true, text: (s) => ms(s.maxMs) },
  { head: '2xx', width: 6, text: (s) => String(s.statusClasses['2xx']) },
  { head: '3xx', width: 5, text: (s) => String(s.statusClasses['3xx']) },
  { head: '4xx', width: 5, text: (s) => String(s.statusClasses['4xx']) },
  { head: '5xx', width: 5, text: (s) => String(s.statusClasses['5xx']) },
  { head: 'err%', width: 6, text: (s) => (s.errorRate * 100).toFixed(1) },
];
const WIDE_FROM = 110;
const CODES_WIDTH = 18;

export interface TopTableOptions {
  limit?: number;
  sort?: TopSort;
  color?: boolean;
  /** terminal width, default 80 */
  columns?: number;
}

export function renderTopTable(stats: readonly RouteStats[], options: TopTableOptions = {}): string {
  if (stats.length === 0) return '(no requests in this range)';
  const width = Math.max(60, options.columns ?? 80);
  const wide = width >= WIDE_FROM;
  const key = SORT_KEY[options.sort ?? 'count'];
  const rows = [...stats].sort((a, b) => key(b) - key(a) || b.count - a.count).slice(0, options.limit ?? 20);
  const columns = COLUMNS.filter((c) => wide || !c.wide);
  const fixed = columns.reduce((a, c) => a + c.width, 0) + (wide ? CODES_WIDTH + 1 : 0);
  // one character kept free: a line exactly as wide as the terminal wraps on some terminals
  const routeWidth = Math.max(12, width - 1 - fixed);
  const line = (route: string, cells: string[], codes: string) =>
    cutMiddle(route, routeWidth).padEnd(routeWidth) +
    cells.map((c, i) => c.padStart(columns[i]!.width)).join('') +
    (wide ? ` ${codes.slice(0, CODES_WIDTH)}` : '');
  const head = line(
    'route',
    columns.map((c) => c.head),
    'codes',
  );
  const out = [options.color ? `\x1b[36m${head}\x1b[0m` : head];
  for (const s of rows) {
    const codes = [...s.routerCodes, ...s.errorStatuses]
      .slice(0, 3)
      .map((c) => `${c.code}×${c.count}`)
      .join(' ');
    out.push(
      line(
        s.route,
        columns.map((c) => c.text(s)),
        codes,
      ),
    );
  }
  return out.join('\n');
}

/** The legend under the table: units and the error-rate definition, wrapped to the width. */
export function topLegend(columns = 80): string {
  return wrap(`latencies in ms (p50/p95/p99 of service time) · err% = ${ERROR_RATE_DEFINITION}`, columns - 1);
}

function ms(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** Cuts a too-long route in the middle, keeping its method and its last segment readable. */
function cutMiddle(text: string, width: number): string {
  if (text.length < width) return text;
  const keep = width - 2;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))} `;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines.join('\n');
}
