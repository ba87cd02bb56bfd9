import type { Admin } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { Field, type PartitionCounters } from './worker-metrics.js';

/**
 * Consumer lag that stays true while consumption is stalled. The high
 * watermark a fetch returns moves only when a fetch returns data, so with every
 * partition paused (Redis down) a fetch-based lag reads 0 while the backlog
 * grows. This probe asks the brokers for the log end offsets (ListOffsets,
 * `admin.fetchTopicOffsets`) every `intervalMs`, whatever the consumers do:
 *
 *   lag(p) = max(log end from the probe, high watermark of the last fetch)
 *            − next offset stored in Redis (the last successful flush)
 *
 * For a partition assigned to this process whose claim has not succeeded yet
 * (the store unreachable from the start), the stored offset is not known here;
 * the group's committed offset stands in for it (the supervisor commits every
 * flushed offset to the group), or the log start if the group never committed.
 *
 * One probe (one admin client, one timer) serves every topic the process consumes: the
 * router topic and, with PLATFORM_TOPIC on, the platform topic, each with its own
 * counters and assigned partitions. Each probe asks for the topics together; a topic that
 * fails does not hide the other's answer.
 *
 * The first topic's last successful answer (the router topic's) also tells readiness
 * whether Kafka is reachable.
 */
/** One topic the probe measures: its partitions' counters and the ones assigned here. */
export interface LagProbeTopic {
  topic: string;
  counters: () => PartitionCounters | null;
  /** partitions the group assigned to this process */
  assigned: () => number[];
}

export interface LagProbeOptions {
  admin: Admin;
  /** the first one (the router topic) is the one readiness follows (`lastSuccessMs`) */
  topics: readonly LagProbeTopic[];
  groupId: string;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/** What the brokers last said about one topic. */
interface TopicOffsets {
  readonly spec: LagProbeTopic;
  readonly logEnd: Map<number, number>;
  readonly logStart: Map<number, number>;
  readonly committed: Map<number, number>;
  failures: number;
  lastSuccessMs: number;
}

export class LagProbe {
  private readonly topics = new Map<string, TopicOffsets>();
  private readonly first: TopicOffsets;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private connected = false;

  constructor(private readonly opts: LagProbeOptions) {
    if (opts.topics.length === 0) throw new TypeError('LagProbe: topics must name at least one topic');
    for (const spec of opts.topics) {
      this.topics.set(spec.topic, {
        spec,
        logEnd: new Map(),
        logStart: new Map(),
        committed: new Map(),
        failures: 0,
        lastSuccessMs: 0,
      });
    }
    this.first = this.topics.get(opts.topics[0]!.topic)!;
  }

  /** wall clock (ms) of the last successful ListOffsets of the first topic; 0 = never */
  get lastSuccessMs(): number {
    return this.first.lastSuccessMs;
  }

  start(): void {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => {});
    if (this.connected) await this.opts.admin.disconnect().catch(() => {});
  }

  /** One probe of every topic; overlapping calls share it. Never rejects. */
  probe(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.probeOnce().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async probeOnce(): Promise<void> {
    // Bounded by the interval, so a broker outage shows as failed probes, not as one that hangs.
    const budget = Math.max(1000, this.opts.intervalMs);
    try {
      if (!this.connected) {
        await withTimeout(this.opts.admin.connect(), budget, 'lag probe connect');
        this.connected = true;
      }
    } catch (err) {
      for (const t of this.topics.values()) this.failed(t, err);
      return;
    }
    await Promise.all([...this.topics.values()].map((t) => this.probeTopic(t, budget)));
  }

  private async probeTopic(t: TopicOffsets, budget: number): Promise<void> {
    const { admin, logger } = this.opts;
    const { topic } = t.spec;
    try {
      const offsets = await withTimeout(admin.fetchTopicOffsets(topic), budget, 'ListOffsets');
      for (const o of offsets) {
        t.logEnd.set(o.partition, Number(o.high));
        t.logStart.set(o.partition, Number(o.low));
      }
      const unknown = t.spec.assigned().filter((p) => !startedHere(t.spec, p));
      if (unknown.length > 0) {
        const groups = await withTimeout(
          admin.fetchOffsets({ groupId: this.opts.groupId, topics: [topic] }),
          budget,
          'OffsetFetch',
        );
        for (const { partitions } of groups) {
          for (const { partition, offset } of partitions) {
            if (Number(offset) >= 0) t.committed.set(partition, Number(offset));
          }
        }
      }
      t.lastSuccessMs = (this.opts.now ?? Date.now)();
      if (t.failures > 0) logger.info({ topic, failures: t.failures }, 'lag probe reaches Kafka again');
      t.failures = 0;
    } catch (err) {
      this.failed(t, err);
    }
  }

  private failed(t: TopicOffsets, err: unknown): void {
    // Logged on the first failure and then every 12th (once a minute at the default 5 s), not every probe.
    if (t.failures++ % 12 === 0) {
      this.opts.logger.warn(
        { topic: t.spec.topic, failures: t.failures, err: (err as Error).message },
        'lag probe failed: Kafka unreachable?',
      );
    }
  }

  /**
   * Records between the log end and the stored next offset of one of the probe's topics;
   * null when the partition is not assigned here or not known yet.
   */
  lag(topic: string, partition: number): number | null {
    const t = this.topics.get(topic);
    if (t === undefined || !t.spec.assigned().includes(partition)) return null;
    const counters = t.spec.counters();
    const fetched = counters ? counters.get(partition, Field.highWatermark) : 0;
    const end = Math.max(t.logEnd.get(partition) ?? -1, fetched);
    if (end < 0) return null;
    let stored: number | undefined;
    if (counters && startedHere(t.spec, partition)) {
      stored = counters.get(partition, Field.flushed);
    } else {
      stored = t.committed.get(partition) ?? t.logStart.get(partition);
    }
    return stored === undefined ? null : Math.max(0, end - stored);
  }
}

/** The partition was claimed and started in this process at least once (its stored offset is in the counters). */
function startedHere(spec: LagProbeTopic, partition: number): boolean {
  const counters = spec.counters();
  return counters !== null && counters.get(partition, Field.lastFlushMs) > 0;
}
