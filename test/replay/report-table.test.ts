import { describe, expect, it } from 'vitest';
import { DivergenceReport } from '../../src/replay/divergence-report.js';
import { PacingStats } from '../../src/replay/pacing-schedule.js';
import { renderPacing, renderReport, renderRouteTable } from '../../src/replay/report-table.js';

describe('report table', () => {
  const report = new DivergenceReport();
  for (let i = 0; i < 30; i++) {
    report.add('shop.example.com', 'GET /slow', 200, 20, { kind: 'response', status: 200, latencyMs: 400 });
    report.add('shop.example.com', 'GET /fail', 200, 20, { kind: 'response', status: 503, latencyMs: 2 });
  }

  it('prints one row per route with both sides and the verdict', () => {
    const text = renderRouteTable(report.rows());
    expect(text).toMatch(/GET \/slow.*30\/30.*2xx 30\/30.*20\/40\d.*slower/);
    expect(text).toMatch(/GET \/fail.*2xx 30\/0 5xx 0\/30.*0\.0\/100\.0.*more errors/);
  });

  it('says how many routes were left out', () => {
    expect(renderRouteTable(report.rows(), 1)).toContain('(1 more routes in the JSON report)');
  });

  it('prints the pacing and warns when requests went out late', () => {
    const p = new PacingStats(1);
    p.record(0, 0, 0);
    p.record(1000, 1000, 1250);
    expect(renderPacing(p.summary())).toMatch(
      /asked ×1, achieved ×0\.800 .*max 250\.0 ms[\s\S]*warning: requests went out late/,
    );
    expect(renderPacing(new PacingStats(1).summary())).toBe('pacing: no requests sent');
  });

  it('renders a whole summary', () => {
    const text = renderReport({
      startedAt: '',
      finishedAt: '',
      dryRun: false,
      targets: [],
      stopReason: 'signal',
      stopDetail: null,
      records: { read: 70, selected: 60, sent: 60, unparsed: 1, skipped: { method: 9 } },
      pacing: new PacingStats(Number.POSITIVE_INFINITY).summary(),
      routes: report.rows(),
    });
    expect(text).toContain('records: read 70, sent 60, skipped {"method":9}, unparsed 1; stopped by: signal');
  });
});
