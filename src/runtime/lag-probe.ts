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
 * Its last successful answer also tells readiness whether Kafka is reachable.
 */
export interface LagProbeOptions {
  admin: Admin;
  topic: string;
  groupId: string;
  intervalMs: number;
  counters: () => PartitionCounters | null;
  /** partitions the group assigned to this process */
  assigned: () => number[];
  logger: Logger;
  now?: () => number;
}

export class LagProbe {
  private readonly logEnd = new Map<number, number>();
  private readonly logStart = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private connected = false;
  private failures = 0;
  /** wall clock (ms) of the last successful ListOffsets; 0 = never */
  lastSuccessMs = 0;

  constructor(private readonly opts: LagProbeOptions) {}

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

  /** One probe; overlapping calls share it. Never rejects. */
  probe(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.probeOnce().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async probeOnce(): Promise<void> {
    const { admin, topic, logger } = this.opts;
    // Bounded by the interval, so a broker outage shows as failed probes, not as one that hangs.
    const budget = Math.max(1000, this.opts.intervalMs);
    try {
      if (!this.connected) {
        await withTimeout(admin.connect(), budget, 'lag probe connect');
        this.connected = true;
      }
      const offsets = await withTimeout(admin.fetchTopicOffsets(topic), budget, 'ListOffsets');
      for (const o of offsets) {
        this.logEnd.set(o.partition, Number(o.high));
        this.logStart.set(o.partition, Number(o.low));
      }
      const unknown = this.opts.assigned().filter((p) => !this.startedHere(p));
      if (unknown.length > 0) {
        const groups = await withTimeout(
          admin.fetchOffsets({ groupId: this.opts.groupId, topics: [topic] }),
          budget,
          'OffsetFetch',
        );
        for (const { partitions } of groups) {
          for (const { partition, offset } of partitions) {
            if (Number(offset) >= 0) this.committed.set(partition, Number(offset));
          }
        }
      }
      this.lastSuccessMs = (this.opts.now ?? Date.now)();
      if (this.failures > 0) logger.info({ topic, failures: this.failures }, 'lag probe reaches Kafka again');
      this.failures = 0;
    } catch (err) {
      // Logged on the first failure and then every 12th (once a minute at the default 5 s), not every probe.
      if (this.failures++ % 12 === 0) {
        logger.warn(
          { topic, failures: this.failures, err: (err as Error).message },
          'lag probe failed: Kafka unreachable?',
        );
      }
    }
  }

  /** Records between the log end and the stored next offset; null when the partition is not assigned here or not known yet. */
  lag(partition: number): number | null {
    if (!this.opts.assigned().includes(partition)) return null;
    const counters = this.opts.counters();
    const fetched = counters ? counters.get(partition, Field.highWatermark) : 0;
    const end = Math.max(this.logEnd.get(partition) ?? -1, fetched);
    if (end < 0) return null;
    let stored: number | undefined;
    if (counters && this.startedHere(partition)) {
      stored = counters.get(partition, Field.flushed);
    } else {
      stored = this.committed.get(partition) ?? this.logStart.get(partition);
    }
    return stored === undefined ? null : Math.max(0, end - stored);
  }

  /** The partition was claimed and started in this process at least once (its stored offset is in the counters). */
  private startedHere(partition: number): boolean {
    const counters = this.opts.counters();
    return counters !== null && counters.get(partition, Field.lastFlushMs) > 0;
  }
}
