import type { DynoSeriesResult } from '../query/query-dynos.js';

/**
 * The dyno lines under `routemeter top`'s route table: what an on-call engineer reads
 * next to a p99 spike (the dashboard shows the same under its response-time chart).
 * Per process type, from each dyno's latest log-runtime-metrics sample (`dynos`), and the
 * platform events of the range (`events`: R14, restarts, …), e.g.
 *
 *   dynos  web ×3  memory 212–498/512 MB (1 over quota)  load 1m 0.82 (max 1.40)
 *   events R14 ×3 web.2 · restart ×1 web.3
 *
 * Without any sample or event it says how to turn the metrics on, in one line.
 */
export function renderDynoLines(result: DynoSeriesResult, columns = 80): string {
  const lines: string[] = [];
  const types = [...new Set(result.dynos.map((d) => d.process_type))];
  for (const type of types) {
    const dynos = result.dynos.filter((d) => d.process_type === type);
    const totals = dynos.map((d) => d.memory_total_mb);
    const quota = Math.max(...dynos.map((d) => d.memory_quota_mb));
    const over = quota > 0 ? dynos.filter((d) => d.memory_total_mb > d.memory_quota_mb).length : 0;
    const loads = dynos.map((d) => d.load_1m).filter((l): l is number => l !== null);
    const low = Math.round(Math.min(...totals));
    const high = Math.round(Math.max(...totals));
    // latest total memory: lowest–highest dyno / the quota
    let text = `dynos  ${type} ×${dynos.length}  memory ${low === high ? `${high}` : `${low}–${high}`}`;
    text += quota > 0 ? `/${Math.round(quota)} MB${over > 0 ? ` (${over} over quota)` : ''}` : ' MB';
    if (loads.length > 0) {
      const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
      text += `  load 1m ${mean.toFixed(2)} (max ${Math.max(...loads).toFixed(2)})`;
    }
    lines.push(text);
  }
  if (result.events.length > 0) {
    // Summed per code and dyno over the range, the most frequent first.
    const counts = new Map<string, number>();
    for (const e of result.events) {
      const key = `${e.code} ${e.dyno}`;
      counts.set(key, (counts.get(key) ?? 0) + e.count);
    }
    const parts = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([key, n]) => {
        const [code, dyno] = key.split(' ');
        return `${code} ×${n} ${dyno}`;
      });
    lines.push(`events ${parts.join(' · ')}`);
  }
  if (lines.length === 0) lines.push('dynos  no dyno metrics yet (heroku labs:enable log-runtime-metrics)');
  return lines.map((l) => (l.length > columns ? `${l.slice(0, columns - 1)}…` : l)).join('\n');
}
