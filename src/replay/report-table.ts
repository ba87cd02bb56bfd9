import Table from 'cli-table3';
import type { RouteRow, SideStats } from './divergence-report.js';
import type { PacingSummary } from './pacing-schedule.js';
import type { ReplaySummary } from './replay-summary.js';

/**
 * The printed report: one row per route, original (production) over replayed
 * (staging), then the totals and the pacing achieved.
 *
 *   app        route           n orig/rep   2xx 3xx 4xx 5xx t/o err   err%        p50        p95        p99       verdict
 *   shop.ex…   GET /users/:id  120 / 120    120/118 … 0/2            0.0/1.7    21/24 ms   40/45 ms   55/61 ms  same
 */
function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${Math.round(v)}`;
}

function mix(o: SideStats, r: SideStats): string {
  const parts: string[] = [];
  for (const cls of ['2xx', '3xx', '4xx', '5xx', 'timeout', 'error'] as const) {
    if (o.classes[cls] > 0 || r.classes[cls] > 0) parts.push(`${cls} ${o.classes[cls]}/${r.classes[cls]}`);
  }
  return parts.join(' ');
}

export function renderRouteTable(rows: readonly RouteRow[], limit = 50): string {
  const table = new Table({
    head: [
      'app',
      'route',
      'n orig/rep',
      'status mix orig/rep',
      'err % orig/rep',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'verdict',
    ],
    style: { head: [], border: [] },
  });
  for (const row of rows.slice(0, limit)) {
    const o = row.original;
    const r = row.replayed;
    table.push([
      row.app,
      row.route,
      `${o.count}/${r.count}`,
      mix(o, r),
      `${(o.errorRate * 100).toFixed(1)}/${(r.errorRate * 100).toFixed(1)}`,
      `${ms(o.p50Ms)}/${ms(r.p50Ms)}`,
      `${ms(o.p95Ms)}/${ms(r.p95Ms)}`,
      `${ms(o.p99Ms)}/${ms(r.p99Ms)}`,
      row.verdict,
    ]);
  }
  const more = rows.length > limit ? `\n(${rows.length - limit} more routes in the JSON report)` : '';
  return `${table.toString()}${more}`;
}

export function renderPacing(p: PacingSummary): string {
  if (p.requests === 0) return 'pacing: no requests sent';
  const speed = p.askedSpeed === 'max' ? 'max' : `×${p.askedSpeed}`;
  const achieved = p.achievedSpeed === null ? 'n/a' : `×${p.achievedSpeed.toFixed(3)}`;
  const gap = p.gapErrorMeanMs === null ? '' : `, mean |gap error| ${p.gapErrorMeanMs.toFixed(1)} ms`;
  // A replayer that sends late is saturated (CPU, caps): its latencies then include its own queueing.
  const warn =
    p.askedSpeed !== 'max' && p.latenessP99Ms > 100
      ? '\nwarning: requests went out late (p99 > 100 ms): the replayer or its caps were saturated, and replayed latencies may include its own queueing'
      : '';
  return (
    `pacing: asked ${speed}, achieved ${achieved} (${p.eventSpanMs} ms of production in ${Math.round(p.wallSpanMs)} ms)` +
    `; lateness p50 ${p.latenessP50Ms.toFixed(1)} ms, p99 ${p.latenessP99Ms.toFixed(1)} ms, max ${p.latenessMaxMs.toFixed(1)} ms${gap}${warn}`
  );
}

export function renderReport(summary: ReplaySummary): string {
  const lines = [
    renderRouteTable(summary.routes),
    `records: read ${summary.records.read}, sent ${summary.records.sent}, skipped ${JSON.stringify(summary.records.skipped)}, ` +
      `unparsed ${summary.records.unparsed}; stopped by: ${summary.stopReason}`,
    renderPacing(summary.pacing),
  ];
  return `${lines.join('\n')}\n`;
}
