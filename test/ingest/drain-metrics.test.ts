import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDrainMetrics, MAX_DRAIN_LABELS } from '../../src/ingest/drain-metrics.js';

describe('drain metrics', () => {
  it('registers on the registry passed in (not the global one), named by the conventions', async () => {
    const registry = new Registry();
    createDrainMetrics(registry, {
      queuedBytes: () => 1234,
      inflightRequests: () => 7,
      detectedHotApps: () => 2,
    });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      'routemeter_drain_admission_refused_total',
      'routemeter_drain_auth_failures_total',
      'routemeter_drain_bytes_total',
      'routemeter_drain_dedupe_errors_total',
      'routemeter_drain_dedupe_hits_total',
      'routemeter_drain_detected_hot_apps',
      'routemeter_drain_frames_repaired_total',
      'routemeter_drain_garbage_bytes_total',
      'routemeter_drain_hot_app_changes_total',
      'routemeter_drain_hot_app_lines_total',
      'routemeter_drain_inflight_requests',
      'routemeter_drain_late_outcomes_total',
      'routemeter_drain_lines_total',
      'routemeter_drain_msg_count_mismatch_total',
      'routemeter_drain_platform_app_lines_total',
      'routemeter_drain_produce_batch_records',
      'routemeter_drain_produce_duration_seconds',
      'routemeter_drain_producer_queued_bytes',
      'routemeter_drain_request_duration_seconds',
      'routemeter_drain_requests_total',
      'routemeter_drain_token_app_errors_total',
      'routemeter_drain_upstream_dropped_total',
    ]);
    const text = await registry.metrics();
    expect(text).toContain('routemeter_drain_producer_queued_bytes 1234');
    expect(text).toContain('routemeter_drain_inflight_requests 7');
    expect(text).toContain('routemeter_drain_detected_hot_apps 2');
    // two drains in one process, each with its own registry
    expect(() => createDrainMetrics(new Registry())).not.toThrow();
  });

  it('caps the drain label at MAX_DRAIN_LABELS distinct tokens, then "other"', () => {
    const m = createDrainMetrics(new Registry());
    for (let i = 0; i < MAX_DRAIN_LABELS; i++) expect(m.drainLabel(`d.${i}`)).toBe(`d.${i}`);
    expect(m.drainLabel('d.new')).toBe('other');
    expect(m.drainLabel('d.0')).toBe('d.0');
  });
});
