import type { Logger } from '../telemetry/logger.js';
import type { DynoSample } from './protocol.js';

/**
 * The compacted `dyno-memory-summary` topic (DYNO_SUMMARY_TOPIC, with KAFKA_PREFIX):
 * the latest memory sample of every dyno, for consumers that want the current state
 * without Redis. Written from main after applied platform flushes (the workers'
 * per-flush dyno samples, dyno-samples.ts), coalesced: every `intervalMs` the dynos
 * with a newer sample since the last send, one record each:
 *
 *   key    quiet-reef-12345.herokuapp.com/web.1
 *   value  {"app":"quiet-reef-12345.herokuapp.com","processType":"web","dyno":"web.1",
 *           "atMs":1767225620000,"totalMb":301.12,"rssMb":299.8,"swapMb":1.32,"quotaMb":512}
 *
 * Compaction keeps the last record per key. At least once: a failed send keeps the
 * entries for the next one; a process that dies before sending loses only samples
 * the next ~20 s of log-runtime-metrics replace. Keys are bounded like the dyno
 * actors (DYNO_CAP_PER_APP per app, one-off dynos under `overflow`).
 */
export interface SummaryProducer {
  send(record: {
    topic: string;
    acks?: number;
    messages: Array<{ key: string; value: string }>;
  }): Promise<unknown>;
}

export interface DynoSummaryOptions {
  producer: SummaryProducer;
  topic: string;
  logger: Logger;
  intervalMs?: number;
  /** counts for /metrics */
  onSent?: (records: number) => void;
  onError?: (err: unknown) => void;
}

export interface DynoSummaryRecord {
  app: string;
  processType: string;
  dyno: string;
  atMs: number;
  totalMb: number;
  rssMb: number;
  swapMb: number;
  quotaMb: number;
}

export class DynoSummaryPublisher {
  /** key → the latest sample not yet sent */
  private readonly dirty = new Map<string, DynoSummaryRecord>();
  /** key → event time of the latest sample seen (sent or not): an older one never replaces it */
  private readonly latest = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;

  constructor(private readonly opts: DynoSummaryOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.opts.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** The dyno samples of one applied flush. */
  add(samples: readonly DynoSample[]): void {
    for (const s of samples) {
      if (s.memoryLastMs < 0) continue;
      const key = `${s.app}/${s.dyno}`;
      if ((this.latest.get(key) ?? -1) > s.memoryLastMs) continue;
      this.latest.set(key, s.memoryLastMs);
      this.dirty.set(key, {
        app: s.app,
        processType: s.processType,
        dyno: s.dyno,
        atMs: s.memoryLastMs,
        totalMb: s.memoryTotalMb,
        rssMb: s.memoryRssMb,
        swapMb: s.memorySwapMb,
        quotaMb: s.memoryQuotaMb,
      });
    }
  }

  /** Sends what changed since the last send; one send at a time; never rejects. */
  publish(): Promise<void> {
    if (this.sending) return this.sending;
    if (this.dirty.size === 0) return Promise.resolve();
    const batch = [...this.dirty];
    this.dirty.clear();
    this.sending = this.opts.producer
      .send({
        topic: this.opts.topic,
        acks: -1,
        messages: batch.map(([key, r]) => ({ key, value: JSON.stringify(r) })),
      })
      .then(
        () => this.opts.onSent?.(batch.length),
        (err: unknown) => {
          // Put back what a newer sample has not replaced meanwhile: sent with the next attempt.
          for (const [key, r] of batch) if (!this.dirty.has(key)) this.dirty.set(key, r);
          this.opts.onError?.(err);
          this.opts.logger.warn(
            { err: (err as Error).message, records: batch.length },
            'dyno summary send failed',
          );
        },
      )
      .finally(() => {
        this.sending = null;
      });
    return this.sending;
  }

  /** Stops the timer and sends what is left (bounded by the caller). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sending;
    await this.publish();
  }

  get pending(): number {
    return this.dirty.size;
  }
}
