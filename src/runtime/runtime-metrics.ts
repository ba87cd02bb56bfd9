import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RouteSample, WorkerToMain } from './protocol.js';
import type { RuntimeEvents } from './runtime-events.js';
import type { Directive, Failure } from './supervision-decider.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * Prometheus metrics of `routemeter run`. Per-record counts come from the
 * workers' shared counters and are read in `collect()` at scrape time; per-flush
 * facts (durations, route samples) arrive as supervisor events. No prom-client
 * call happens per record.
 *
 * Per-route series are capped at `routeLimit` (app, route) pairs per process:
 * the first routes seen keep their own series, later ones are summed under
 * route="__other__", so a path explosion cannot explode the label set.
 */
export interface RuntimeMetricsOptions {
  registry: Registry;
  topic: string;
  counters: () => PartitionCounters | null;
  /** partitions with any activity in this process (owned now or earlier) */
  partitions: () => number[];
  routeLimit: number;
}

interface RouteSeries {
  app: string;
  route: string;
  count: number;
  serviceSumSeconds: number;
  errors: number;
  latest: RouteSample | null;
}

export class RuntimeMetrics implements RuntimeEvents {
  private readonly seen = new Set<number>();
  private readonly routes = new Map<string, RouteSeries>();
  private readonly flushDuration: Histogram<'topic'>;
  private readonly restarts: Counter<'worker'>;
  private readonly decisions: Counter<'failure' | 'action'>;
  private readonly flushFailureKinds: Counter<'topic' | 'code'>;

  constructor(private readonly opts: RuntimeMetricsOptions) {
    const { registry, topic } = opts;
    const self = this;
    const perPartition = (name: string, help: string, field: number, kind: 'counter' | 'gauge'): void => {
      const collect = function (this: Counter<'topic' | 'partition'> | Gauge<'topic' | 'partition'>) {
        const counters = self.opts.counters();
        if (!counters) return;
        this.reset();
        for (const p of self.partitionsToReport(counters)) {
          const labels = { topic, partition: String(p) };
          const v = counters.get(p, field);
          if (this instanceof Gauge) this.set(labels, v);
          else (this as Counter<'topic' | 'partition'>).inc(labels, v);
        }
      };
      if (kind === 'counter') {
        new Counter({ name, help, labelNames: ['topic', 'partition'], registers: [registry], collect });
      } else {
        new Gauge({ name, help, labelNames: ['topic', 'partition'], registers: [registry], collect });
      }
    };
    perPartition('routemeter_consumed_records_total', 'Kafka records consumed', Field.records, 'counter');
    perPartition(
      'routemeter_consumed_bytes_total',
      'Bytes of Kafka record values consumed',
      Field.bytes,
      'counter',
    );
    perPartition(
      'routemeter_parse_failures_total',
      'Records that were not parseable router lines (skipped and counted)',
      Field.parseFailures,
      'counter',
    );
    perPartition('routemeter_flushes_total', 'Successful flushes to Redis', Field.flushes, 'counter');
    perPartition(
      'routemeter_flush_failures_total',
      'Flushes to Redis that failed',
      Field.flushFailures,
      'counter',
    );
    perPartition(
      'routemeter_routes_overflowed_total',
      'Requests counted under the overflow route because their app hit the route cap',
      Field.overflowed,
      'counter',
    );
    perPartition(
      'routemeter_late_records_total',
      'Records dropped because their event time was older than the allowed lateness',
      Field.late,
      'counter',
    );
    perPartition(
      'routemeter_rejected_records_total',
      'Records dropped because their event time was unusable (not positive, or too far in the future)',
      Field.rejected,
      'counter',
    );
    perPartition(
      'routemeter_retention_skipped_records_total',
      'Offsets skipped because Kafka retention deleted them before they were aggregated',
      Field.skippedByRetention,
      'counter',
    );
    perPartition('routemeter_routes_active', 'Route actors holding state', Field.activeRoutes, 'gauge');
    perPartition(
      'routemeter_partition_owned',
      '1 while this process owns the partition',
      Field.owned,
      'gauge',
    );
    perPartition(
      'routemeter_partition_paused',
      '1 while fetching is paused by backpressure (Redis slow or down)',
      Field.paused,
      'gauge',
    );
    perPartition('routemeter_consumer_position', 'Next offset to consume', Field.position, 'gauge');
    perPartition('routemeter_flushed_offset', 'Next offset stored in Redis', Field.flushed, 'gauge');

    new Gauge({
      name: 'routemeter_consumer_lag_records',
      help: 'High watermark minus the next offset to consume, for owned partitions',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        const counters = self.opts.counters();
        if (!counters) return;
        this.reset();
        for (const p of self.partitionsToReport(counters)) {
          if (counters.get(p, Field.owned) !== 1) continue;
          const lag = Math.max(0, counters.get(p, Field.highWatermark) - counters.get(p, Field.position));
          this.set({ topic, partition: String(p) }, lag);
        }
      },
    });
    new Gauge({
      name: 'routemeter_unflushed_records',
      help: 'Records consumed but not yet stored in Redis, for owned partitions',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        const counters = self.opts.counters();
        if (!counters) return;
        this.reset();
        for (const p of self.partitionsToReport(counters)) {
          if (counters.get(p, Field.owned) !== 1) continue;
          const v = Math.max(0, counters.get(p, Field.position) - counters.get(p, Field.flushed));
          this.set({ topic, partition: String(p) }, v);
        }
      },
    });

    this.flushDuration = new Histogram({
      name: 'routemeter_flush_duration_seconds',
      help: 'Time of one atomic flush of a partition to Redis',
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.flushFailureKinds = new Counter({
      name: 'routemeter_flush_errors_total',
      help: 'Flush errors by error code',
      labelNames: ['topic', 'code'],
      registers: [registry],
    });
    this.restarts = new Counter({
      name: 'routemeter_worker_restarts_total',
      help: 'Worker threads restarted by the supervisor',
      labelNames: ['worker'],
      registers: [registry],
    });
    this.decisions = new Counter({
      name: 'routemeter_supervision_decisions_total',
      help: 'Supervision decisions, by failure kind and directive',
      labelNames: ['failure', 'action'],
      registers: [registry],
    });

    const routeLabels = ['app', 'route'] as const;
    new Counter({
      name: 'routemeter_route_requests_total',
      help: 'Requests per route (capped set of routes; the rest under route="__other__")',
      labelNames: routeLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of self.routes.values()) this.inc({ app: r.app, route: r.route }, r.count);
      },
    });
    new Counter({
      name: 'routemeter_route_errors_total',
      help: 'Requests per route answered with status >= 500 or a router error',
      labelNames: routeLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of self.routes.values()) this.inc({ app: r.app, route: r.route }, r.errors);
      },
    });
    new Counter({
      name: 'routemeter_route_service_seconds_total',
      help: 'Sum of service time per route; divide by rate of requests for the exact mean',
      labelNames: routeLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of self.routes.values()) this.inc({ app: r.app, route: r.route }, r.serviceSumSeconds);
      },
    });
    new Gauge({
      name: 'routemeter_route_service_seconds',
      help: 'Service-time quantiles per route over the latest flush of this process (HDR); fleet-wide exact quantiles come from the query API',
      labelNames: ['app', 'route', 'quantile'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of self.routes.values()) {
          const s = r.latest;
          if (!s || s.count === 0) continue;
          const labels = { app: r.app, route: r.route };
          this.set({ ...labels, quantile: '0.5' }, s.p50 / 1000);
          this.set({ ...labels, quantile: '0.95' }, s.p95 / 1000);
          this.set({ ...labels, quantile: '0.99' }, s.p99 / 1000);
          this.set({ ...labels, quantile: '1' }, s.max / 1000);
        }
      },
    });
  }

  private partitionsToReport(counters: PartitionCounters): number[] {
    for (const p of this.opts.partitions()) this.seen.add(p);
    return [...this.seen].filter((p) => p < counters.maxPartitions).sort((a, b) => a - b);
  }

  private routeSeries(sample: RouteSample): RouteSeries {
    const key = `${sample.app}\u0000${sample.route}`;
    let series = this.routes.get(key);
    if (series) return series;
    if (this.routes.size < this.opts.routeLimit) {
      series = {
        app: sample.app,
        route: sample.route,
        count: 0,
        serviceSumSeconds: 0,
        errors: 0,
        latest: null,
      };
      this.routes.set(key, series);
      return series;
    }
    const otherKey = '\u0000__other__';
    series = this.routes.get(otherKey);
    if (!series) {
      series = {
        app: '__other__',
        route: '__other__',
        count: 0,
        serviceSumSeconds: 0,
        errors: 0,
        latest: null,
      };
      this.routes.set(otherKey, series);
    }
    return series;
  }

  // RuntimeEvents
  assignment(partitions: number[]): void {
    for (const p of partitions) this.seen.add(p);
  }
  partitionStarted(partition: number): void {
    this.seen.add(partition);
  }
  partitionStopped(): void {}
  flushed(msg: Extract<WorkerToMain, { code: 'flushed' }>): void {
    this.flushDuration.observe({ topic: msg.topic }, msg.durationSeconds);
    for (const sample of msg.routes) {
      const series = this.routeSeries(sample);
      series.count += sample.count;
      series.serviceSumSeconds += sample.serviceSumMs / 1000;
      series.errors += sample.errors;
      series.latest = series.app === '__other__' ? null : sample;
    }
  }
  flushFailed(_partition: number, error: Error): void {
    const code = (error as { code?: string }).code ?? 'UNKNOWN';
    this.flushFailureKinds.inc({ topic: this.opts.topic, code });
  }
  workerRestarted(workerId: number): void {
    this.restarts.inc({ worker: String(workerId) });
  }
  decision(failure: Failure, directive: Directive): void {
    this.decisions.inc({ failure: failure.kind, action: directive.action });
  }
}
