import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DynoSeries } from './dyno-series.js';
import type { Assignment } from './kafka-cluster.js';
import type { WorkerToMain } from './protocol.js';
import { ROUTE_LATENCY_BUCKETS_MS, STATUS_CLASSES } from './route-samples.js';
import { RouteSeries } from './route-series.js';
import type { RuntimeEvents } from './runtime-events.js';
import type { Directive, Failure } from './supervision-decider.js';
import { Field, type PartitionCounters, WorkerField } from './worker-metrics.js';

/**
 * Prometheus metrics of `routemeter run` (docs/metrics.md). Per-record counts
 * come from the workers' shared counters and are read in `collect()` at scrape
 * time; per-flush facts (durations, route samples) arrive as supervisor events.
 * No prom-client call happens per record.
 *
 * Per-partition metrics are one table (PARTITION_METRICS): a name, a type and
 * how to read the value from a partition's row, so the collect code exists once,
 * for the router partitions and (PLATFORM_TOPIC on) the platform partitions, told
 * apart by the `topic` label. Dyno series (dyno-series.ts) come from the platform
 * flushes' dyno samples.
 */
export interface PartitionSource {
  topic: string;
  counters: () => PartitionCounters | null;
  /** partitions with any activity in this process (owned now or earlier) */
  partitions: () => number[];
  /** records between the log end and the stored next offset (lag-probe.ts); null when unknown */
  lag: (partition: number) => number | null;
}

export interface RuntimeMetricsOptions extends PartitionSource {
  registry: Registry;
  /** the platform topic's partitions; absent when PLATFORM_TOPIC is off */
  platform?: PartitionSource;
  /** worker threads of this process */
  workers: number;
  routeLimit: number;
  routeEvaluateMs: number;
  /** a dyno silent this long (wall clock) leaves the dyno gauges; default 10 min */
  dynoForgetMs?: number;
  now?: () => number;
}

interface PartitionMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  /** router partitions only (the platform partitions count these in routemeter_platform_records_total) */
  routerOnly?: boolean;
  /** the sample for one partition row; null leaves the partition out (e.g. not owned) */
  read: (
    c: PartitionCounters,
    p: number,
    ctx: { nowMs: number; lag: (p: number) => number | null },
  ) => number | null;
}

const field =
  (f: number): PartitionMetric['read'] =>
  (c, p) =>
    c.get(p, f);
const owned =
  (read: PartitionMetric['read']): PartitionMetric['read'] =>
  (c, p, ctx) =>
    c.get(p, Field.owned) === 1 ? read(c, p, ctx) : null;

const PARTITION_METRICS: PartitionMetric[] = [
  {
    name: 'routemeter_consumed_records_total',
    help: 'Kafka records consumed',
    type: 'counter',
    read: field(Field.records),
  },
  {
    name: 'routemeter_consumed_bytes_total',
    help: 'Bytes of Kafka record values consumed',
    type: 'counter',
    read: field(Field.bytes),
  },
  {
    name: 'routemeter_parse_failures_total',
    help: 'Records that were not parseable (router topic: not a router line; platform topic: no syslog header or timestamp), skipped and counted',
    type: 'counter',
    read: field(Field.parseFailures),
  },
  {
    name: 'routemeter_flushes_total',
    help: 'Successful flushes to Redis',
    type: 'counter',
    read: field(Field.flushes),
  },
  {
    name: 'routemeter_flush_failures_total',
    help: 'Flushes to Redis that failed',
    type: 'counter',
    read: field(Field.flushFailures),
  },
  {
    name: 'routemeter_routes_overflowed_total',
    help: 'Requests counted under the overflow route because their app hit the route cap',
    type: 'counter',
    routerOnly: true,
    read: field(Field.overflowed),
  },
  {
    name: 'routemeter_late_records_total',
    help: 'Records dropped because their event time was older than the allowed lateness',
    type: 'counter',
    routerOnly: true,
    read: field(Field.late),
  },
  {
    name: 'routemeter_rejected_records_total',
    help: 'Records dropped because their event time was unusable (not positive, or too far in the future)',
    type: 'counter',
    routerOnly: true,
    read: field(Field.rejected),
  },
  {
    name: 'routemeter_retention_skipped_records_total',
    help: 'Offsets skipped because Kafka retention deleted them before they were aggregated',
    type: 'counter',
    read: field(Field.skippedByRetention),
  },
  {
    name: 'routemeter_routes_active',
    help: 'Route actors holding state',
    type: 'gauge',
    routerOnly: true,
    read: field(Field.activeRoutes),
  },
  {
    name: 'routemeter_partition_owned',
    help: '1 while this process owns the partition',
    type: 'gauge',
    read: field(Field.owned),
  },
  {
    name: 'routemeter_partition_paused',
    help: '1 while fetching is paused by backpressure (Redis slow or down)',
    type: 'gauge',
    read: field(Field.paused),
  },
  {
    name: 'routemeter_consumer_position',
    help: 'Next offset to consume',
    type: 'gauge',
    read: field(Field.position),
  },
  {
    name: 'routemeter_flushed_offset',
    help: 'Next offset stored in Redis',
    type: 'gauge',
    read: field(Field.flushed),
  },
  {
    name: 'routemeter_consumer_lag_records',
    help: 'Log end offset (ListOffsets on a timer, or the last fetch if fresher) minus the next offset stored in Redis, for partitions assigned to this process, also while paused',
    type: 'gauge',
    read: (_c, p, ctx) => ctx.lag(p),
  },
  {
    name: 'routemeter_unflushed_records',
    help: 'Records consumed but not yet stored in Redis, for owned partitions',
    type: 'gauge',
    read: owned((c, p) => Math.max(0, c.get(p, Field.position) - c.get(p, Field.flushed))),
  },
  {
    name: 'routemeter_oldest_unflushed_age_seconds',
    help: 'Age (now minus its Kafka timestamp) of the oldest record consumed but not yet stored in Redis; 0 when none',
    type: 'gauge',
    read: owned((c, p, { nowMs }) => {
      const ts = c.get(p, Field.oldestUnflushedMs);
      return ts > 0 ? Math.max(0, (nowMs - ts) / 1000) : 0;
    }),
  },
  {
    name: 'routemeter_last_flush_age_seconds',
    help: 'Seconds since everything consumed from the partition was last stored in Redis (or since it started)',
    type: 'gauge',
    read: owned((c, p, { nowMs }) => Math.max(0, (nowMs - c.get(p, Field.lastFlushMs)) / 1000)),
  },
];

/**
 * `routemeter_platform_records_total{result}`: what became of each platform record.
 * Not a partition of the records: `overflowed` and `unknown_app` records are also
 * `aggregated` (under the app's `overflow` dyno, under the app `-`).
 */
const PLATFORM_RESULTS: Array<[string, number]> = [
  ['aggregated', Field.aggregated],
  ['ignored', Field.ignored],
  ['late', Field.late],
  ['rejected', Field.rejected],
  ['overflowed', Field.overflowed],
  ['unparsed', Field.parseFailures],
  ['unknown_app', Field.unknownApp],
];

interface WorkerMetric {
  name: string;
  help: string;
  read: (c: PartitionCounters, worker: number, nowMs: number) => number;
}

const WORKER_METRICS: WorkerMetric[] = [
  {
    name: 'routemeter_worker_heap_used_bytes',
    help: 'V8 heap used by the worker thread',
    read: (c, w) => c.getWorker(w, WorkerField.heapUsedBytes),
  },
  {
    name: 'routemeter_worker_heap_total_bytes',
    help: 'V8 heap allocated by the worker thread',
    read: (c, w) => c.getWorker(w, WorkerField.heapTotalBytes),
  },
  {
    name: 'routemeter_worker_heap_limit_bytes',
    help: 'V8 heap limit of the worker thread',
    read: (c, w) => c.getWorker(w, WorkerField.heapLimitBytes),
  },
  {
    name: 'routemeter_worker_heartbeat_age_seconds',
    help: "Seconds since the worker thread's event loop last wrote its heartbeat (every second)",
    read: (c, w, nowMs) => {
      const beat = c.getWorker(w, WorkerField.heartbeatMs);
      return beat > 0 ? Math.max(0, (nowMs - beat) / 1000) : 0;
    },
  },
];

/** Route latency buckets in seconds, the Prometheus base unit. */
const ROUTE_BUCKETS_SECONDS = ROUTE_LATENCY_BUCKETS_MS.map((ms) => ms / 1000);

export class RuntimeMetrics implements RuntimeEvents {
  /** topic → partitions with any activity in this process */
  private readonly seen = new Map<string, Set<number>>();
  private readonly routes: RouteSeries;
  private readonly dynos: DynoSeries;
  private readonly flushDuration: Histogram<'topic'>;
  private readonly restarts: Counter<'worker'>;
  private readonly decisions: Counter<'failure' | 'action'>;
  private readonly flushFailureKinds: Counter<'topic' | 'code'>;
  private readonly now: () => number;

  constructor(private readonly opts: RuntimeMetricsOptions) {
    const { registry } = opts;
    this.now = opts.now ?? Date.now;
    this.routes = new RouteSeries(opts.routeLimit, opts.routeEvaluateMs, this.now());
    this.dynos = new DynoSeries(opts.routeLimit, opts.dynoForgetMs ?? 10 * 60_000);
    const self = this;
    const sources: PartitionSource[] = opts.platform ? [opts, opts.platform] : [opts];
    for (const m of PARTITION_METRICS) {
      const collect = function (this: Gauge<'topic' | 'partition'>) {
        this.reset();
        const nowMs = self.now();
        for (const source of m.routerOnly ? [opts] : sources) {
          const counters = source.counters();
          if (!counters) continue;
          const { topic } = source;
          const ctx = { nowMs, lag: source.lag };
          for (const p of self.partitionsToReport(source, counters)) {
            const v = m.read(counters, p, ctx);
            if (v === null) continue;
            // reset() then inc(total): a counter's shared slot only grows, so the series does too.
            if (m.type === 'counter')
              (this as unknown as Counter<'topic' | 'partition'>).inc({ topic, partition: String(p) }, v);
            else this.set({ topic, partition: String(p) }, v);
          }
        }
      };
      const Metric = m.type === 'counter' ? Counter : Gauge;
      new Metric({
        name: m.name,
        help: m.help,
        labelNames: ['topic', 'partition'],
        registers: [registry],
        collect,
      } as never);
    }
    for (const m of WORKER_METRICS) {
      new Gauge({
        name: m.name,
        help: m.help,
        labelNames: ['worker'],
        registers: [registry],
        collect() {
          const counters = self.opts.counters();
          if (!counters) return;
          this.reset();
          const nowMs = self.now();
          for (let w = 0; w < self.opts.workers; w++)
            this.set({ worker: String(w) }, m.read(counters, w, nowMs));
        },
      });
    }

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

    if (opts.platform) this.registerPlatformMetrics(opts.platform);

    const routeLabels = ['app', 'route'] as const;
    new Counter({
      name: 'routemeter_route_requests_total',
      help: 'Requests per route by status class (router errors such as H12 are 503s: 5xx); the busiest routes, the rest of each app under route="__other__"',
      labelNames: [...routeLabels, 'status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of self.routes.series()) {
          for (let k = 0; k < STATUS_CLASSES.length; k++) {
            const n = r.statusClasses[k]!;
            if (n > 0) this.inc({ app: r.app, route: r.route, status: STATUS_CLASSES[k]! }, n);
          }
        }
      },
    });
    registry.registerMetric(routeServiceHistogram(() => self.routes.series()) as never);
  }

  /** Platform records by result, and the dyno gauges and event counters. */
  private registerPlatformMetrics(platform: PartitionSource): void {
    const self = this;
    new Counter({
      name: 'routemeter_platform_records_total',
      help: 'What became of each platform record: aggregated, ignored (nothing a dyno actor keeps), late, rejected (unusable time), overflowed (past DYNO_CAP_PER_APP; also aggregated), unparsed, unknown_app (no app header or DRAIN_TOKEN_APPS entry; aggregated under app "-")',
      labelNames: ['topic', 'partition', 'result'],
      registers: [this.opts.registry],
      collect() {
        const counters = platform.counters();
        if (!counters) return;
        this.reset();
        for (const p of self.partitionsToReport(platform, counters)) {
          for (const [result, f] of PLATFORM_RESULTS)
            this.inc({ topic: platform.topic, partition: String(p), result }, counters.get(p, f));
        }
      },
    });
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      fill: (g: Gauge<string>, gauges: ReturnType<DynoSeries['gauges']>) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.opts.registry],
        collect() {
          this.reset();
          fill(this, self.dynos.gauges(self.now()));
        },
      });
    gauge(
      'routemeter_dyno_memory_bytes',
      'Per app and process type, the max over its dynos of the latest log-runtime-metrics memory sample (kind: total, rss, swap); dynos silent for 10 min are left out; apps past PROM_ROUTE_LIMIT under app="__other__"',
      ['app', 'process_type', 'kind'],
      (g, gauges) => {
        for (const d of gauges) {
          if (d.memory === null) continue;
          const labels = { app: d.app, process_type: d.processType };
          g.set({ ...labels, kind: 'total' }, d.memory.totalBytes);
          g.set({ ...labels, kind: 'rss' }, d.memory.rssBytes);
          g.set({ ...labels, kind: 'swap' }, d.memory.swapBytes);
        }
      },
    );
    gauge(
      'routemeter_dyno_memory_quota_bytes',
      'Per app and process type, the memory quota its dynos report (sample#memory_quota)',
      ['app', 'process_type'],
      (g, gauges) => {
        for (const d of gauges)
          if (d.quotaBytes !== null) g.set({ app: d.app, process_type: d.processType }, d.quotaBytes);
      },
    );
    gauge(
      'routemeter_dyno_load_average',
      "Per app and process type, the mean of its dynos' latest sample#load_avg_1m",
      ['app', 'process_type'],
      (g, gauges) => {
        for (const d of gauges)
          if (d.loadAverage !== null) g.set({ app: d.app, process_type: d.processType }, d.loadAverage);
      },
    );
    new Counter({
      name: 'routemeter_dyno_events_total',
      help: 'Dyno events from platform lines: error codes (R10, R12–R17, R99, L10–L15), restart (state changed to starting), crash; any other code as "other"',
      labelNames: ['app', 'process_type', 'code'],
      registers: [this.opts.registry],
      collect() {
        this.reset();
        for (const e of self.dynos.events())
          this.inc({ app: e.app, process_type: e.processType, code: e.code }, e.count);
      },
    });
  }

  private partitionsToReport(source: PartitionSource, counters: PartitionCounters): number[] {
    const seen = this.seenOf(source.topic);
    for (const p of source.partitions()) seen.add(p);
    return [...seen].filter((p) => p < counters.maxPartitions).sort((a, b) => a - b);
  }

  private seenOf(topic: string): Set<number> {
    let seen = this.seen.get(topic);
    if (seen === undefined) {
      seen = new Set();
      this.seen.set(topic, seen);
    }
    return seen;
  }

  // RuntimeEvents
  assignment(assignment: Assignment): void {
    for (const p of assignment.router) this.seenOf(this.opts.topic).add(p);
    if (this.opts.platform) for (const p of assignment.platform) this.seenOf(this.opts.platform.topic).add(p);
  }
  partitionStarted(partition: number, _epoch: number, _offset: string, topic: string): void {
    this.seenOf(topic).add(partition);
  }
  partitionStopped(): void {}
  flushed(msg: Extract<WorkerToMain, { code: 'flushed' }>): void {
    this.flushDuration.observe({ topic: msg.topic }, msg.durationSeconds);
    const nowMs = this.now();
    for (const sample of msg.routes) this.routes.add(sample, nowMs);
    if (msg.dynos) for (const sample of msg.dynos) this.dynos.add(sample, nowMs);
  }
  flushFailed(_partition: number, error: Error, topic: string): void {
    const code = (error as { code?: string }).code ?? 'UNKNOWN';
    this.flushFailureKinds.inc({ topic, code });
  }
  workerRestarted(workerId: number): void {
    this.restarts.inc({ worker: String(workerId) });
  }
  decision(failure: Failure, directive: Directive): void {
    this.decisions.inc({ failure: failure.kind, action: directive.action });
  }
}

/**
 * `routemeter_route_service_seconds` as a Prometheus histogram, written from the
 * accumulated bucket counts (prom-client's Histogram can only `observe` one value
 * at a time, and the counts arrive already bucketed from the workers).
 *
 *   routemeter_route_service_seconds_bucket{app="a",route="GET /users/:id",le="0.1"} 812
 *   routemeter_route_service_seconds_sum{app="a",route="GET /users/:id"} 41.207
 *   routemeter_route_service_seconds_count{app="a",route="GET /users/:id"} 977
 */
function routeServiceHistogram(
  series: () => Iterable<{
    app: string;
    route: string;
    serviceSumMs: number;
    serviceCount: number;
    buckets: number[];
  }>,
) {
  const name = 'routemeter_route_service_seconds';
  const help =
    'Service time per route (router service=), fixed buckets from 1 ms to 30 s; the busiest routes, the rest of each app under route="__other__"';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> =
        [];
      for (const r of series()) {
        let cumulative = 0;
        for (let k = 0; k < ROUTE_BUCKETS_SECONDS.length; k++) {
          cumulative += r.buckets[k] ?? 0;
          values.push({
            metricName: `${name}_bucket`,
            labels: { app: r.app, route: r.route, le: ROUTE_BUCKETS_SECONDS[k]! },
            value: cumulative,
          });
        }
        cumulative += r.buckets[ROUTE_BUCKETS_SECONDS.length] ?? 0;
        values.push({
          metricName: `${name}_bucket`,
          labels: { app: r.app, route: r.route, le: '+Inf' },
          value: cumulative,
        });
        values.push({
          metricName: `${name}_sum`,
          labels: { app: r.app, route: r.route },
          value: r.serviceSumMs / 1000,
        });
        values.push({
          metricName: `${name}_count`,
          labels: { app: r.app, route: r.route },
          value: r.serviceCount,
        });
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
  };
}
