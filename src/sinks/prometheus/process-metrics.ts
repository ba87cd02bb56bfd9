import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * Node's process metrics under their standard names (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`,
 * `nodejs_eventloop_lag_seconds`, …), so stock Node dashboards match: no
 * prefix of ours.
 *
 * prom-client also exports `nodejs_active_{handles,requests,resources}_total`,
 * gauges whose `_total` suffix `promtool check metrics` rejects ("non-counter
 * metrics should not have _total suffix"). They are the sums of the
 * `nodejs_active_{handles,requests,resources}{type}` gauges it exports too, so
 * they are left out.
 */
const NOT_COUNTERS_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of NOT_COUNTERS_NAMED_TOTAL) registry.removeSingleMetric(name);
}
