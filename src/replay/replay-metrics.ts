import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DivergenceReport } from './divergence-report.js';

/**
 * The replay's /metrics while it runs. Counters are bumped by the engine as it
 * goes; the per-route divergence gauges are computed from the report at scrape
 * time, for the busiest `routeLimit` routes only (bounded labels):
 *
 *   routemeter_replay_records_total{result}            sent, skipped_<reason>, unparsed, out_of_range
 *   routemeter_replay_responses_total{class}           2xx … 5xx, timeout, error
 *   routemeter_replay_request_duration_seconds         replayed latency (histogram)
 *   routemeter_replay_pacing_lateness_seconds          send time − due time (histogram)
 *   routemeter_replay_inflight_requests                requests in flight
 *   routemeter_replay_queued_records                   records read, waiting for their time
 *   routemeter_replay_stopped                          1 once the automatic stop fired
 *   routemeter_replay_route_requests{app,route,side}   original / replayed requests per route
 *   routemeter_replay_route_error_ratio{app,route,side}
 *   routemeter_replay_route_latency_seconds{app,route,side,quantile}   0.5, 0.95, 0.99
 *   routemeter_replay_route_verdict{app,route,verdict} 1 for the route's current verdict
 */
export interface ReplayMetrics {
  records: Counter<'result'>;
  responses: Counter<'class'>;
  duration: Histogram;
  lateness: Histogram;
  inflight: Gauge;
  queued: Gauge;
  stopped: Gauge;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createReplayMetrics(
  registry: Registry,
  report: DivergenceReport,
  routeLimit: number,
): ReplayMetrics {
  const registers = [registry];
  const metrics: ReplayMetrics = {
    records: new Counter({
      name: 'routemeter_replay_records_total',
      help: 'router records read by the replay, by what happened to them',
      labelNames: ['result'],
      registers,
    }),
    responses: new Counter({
      name: 'routemeter_replay_responses_total',
      help: "replayed requests by the target's answer",
      labelNames: ['class'],
      registers,
    }),
    duration: new Histogram({
      name: 'routemeter_replay_request_duration_seconds',
      help: 'latency of replayed requests, whole body read',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    lateness: new Histogram({
      name: 'routemeter_replay_pacing_lateness_seconds',
      help: 'how late a replayed request was sent after its due time',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    inflight: new Gauge({
      name: 'routemeter_replay_inflight_requests',
      help: 'requests in flight',
      registers,
    }),
    queued: new Gauge({
      name: 'routemeter_replay_queued_records',
      help: 'records waiting for their due time',
      registers,
    }),
    stopped: new Gauge({
      name: 'routemeter_replay_stopped',
      help: "1 once the automatic stop fired on the target's failure ratio",
      registers,
    }),
  };
  const routeRequests = new Gauge({
    name: 'routemeter_replay_route_requests',
    help: 'requests per route so far, original (production) and replayed (staging)',
    labelNames: ['app', 'route', 'side'],
    registers,
  });
  const routeErrors = new Gauge({
    name: 'routemeter_replay_route_error_ratio',
    help: 'share of 5xx (and, replayed, timeouts and connection errors) per route',
    labelNames: ['app', 'route', 'side'],
    registers,
  });
  const routeLatency = new Gauge({
    name: 'routemeter_replay_route_latency_seconds',
    help: 'latency quantiles per route: original service= and replayed latency',
    labelNames: ['app', 'route', 'side', 'quantile'],
    registers,
  });
  new Gauge({
    name: 'routemeter_replay_route_verdict',
    help: "1 for the route's current verdict: same, slower, more errors, fewer errors",
    labelNames: ['app', 'route', 'verdict'],
    registers,
    collect() {
      this.reset();
      routeRequests.reset();
      routeErrors.reset();
      routeLatency.reset();
      for (const row of report.rows().slice(0, routeLimit)) {
        this.set({ app: row.app, route: row.route, verdict: row.verdict }, 1);
        for (const [side, s] of [
          ['original', row.original],
          ['replayed', row.replayed],
        ] as const) {
          const labels = { app: row.app, route: row.route, side };
          routeRequests.set(labels, s.count);
          routeErrors.set(labels, s.errorRate);
          routeLatency.set({ ...labels, quantile: '0.5' }, s.p50Ms / 1000);
          routeLatency.set({ ...labels, quantile: '0.95' }, s.p95Ms / 1000);
          routeLatency.set({ ...labels, quantile: '0.99' }, s.p99Ms / 1000);
        }
      }
    },
  });
  return metrics;
}
