import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Coalesces the records of concurrent drain requests into one produce call.
 *
 * kafkajs's idempotent producer allows one request in flight per broker and does
 * no batching across `send` calls, so without this layer every HTTP request would
 * be its own produce round trip. Here:
 *
 *   request A ─submit─┐
 *   request B ─submit─┼─▶ pending ──(linger ms, or maxBatchBytes reached)──▶ send(all) ──ack──▶ A, B resolved
 *   request C ─submit─┘                 ▲ while a send is in flight, new work waits   └─fail─▶ A, B rejected
 *                                       └ and leaves as soon as that send returns
 *
 * - one send in flight at a time (what the idempotent producer allows anyway);
 * - a batch holds at most `maxBatchBytes` (one oversized submission goes alone);
 * - `maxQueuedBytes` bounds pending + in-flight bytes: past it, `submit` fails at
 *   once with RM_ERR_PRODUCER_SATURATED, which the drain answers with 503;
 * - a submission still pending can be cancelled (its request timed out): it is then
 *   never sent, so the 503 its request got is exact.
 */
export type SendFn<T> = (items: T[]) => Promise<void>;

export interface RecordBatcherOptions<T> {
  /** produces the records of every item with acks=all */
  send: SendFn<T>;
  /** how long the first pending submission waits for company */
  lingerMs: number;
  maxBatchBytes: number;
  maxQueuedBytes: number;
  /** called once per send, after it settles */
  onBatch?: (info: BatchInfo) => void;
}

export interface BatchInfo {
  submissions: number;
  records: number;
  bytes: number;
  durationMs: number;
  error: unknown;
}

export interface Ticket {
  /** resolves when Kafka acknowledged every record of the submission */
  done: Promise<void>;
  /** true when the submission was still pending and is now withdrawn (never sent) */
  cancel(): boolean;
  /** true once the submission has been handed to the producer */
  readonly sent: boolean;
}

interface Entry<T> {
  item: T;
  bytes: number;
  records: number;
  state: 'pending' | 'sent' | 'cancelled';
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class RecordBatcher<T> {
  readonly #opts: RecordBatcherOptions<T>;
  #pending: Entry<T>[] = [];
  #pendingBytes = 0;
  #inflightBytes = 0;
  #inflight: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(opts: RecordBatcherOptions<T>) {
    for (const key of ['lingerMs', 'maxBatchBytes', 'maxQueuedBytes'] as const) {
      if (!Number.isFinite(opts[key]) || opts[key] < 0) {
        throw new RoutemeterError(
          'RM_ERR_CONFIG',
          `RecordBatcher: ${key} must be a number >= 0, got ${opts[key]}`,
        );
      }
    }
    this.#opts = opts;
  }

  /** bytes waiting or in flight */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#inflightBytes;
  }

  /** Queues `item` (holding `records` records, about `bytes` bytes on the wire) for the next send. */
  submit(item: T, records: number, bytes: number): Ticket {
    if (this.#closed)
      return rejectedTicket(new RoutemeterError('RM_ERR_DRAIN_CLOSING', 'the drain is closing'));
    const queued = this.queuedBytes;
    if (queued > 0 && queued + bytes > this.#opts.maxQueuedBytes) {
      return rejectedTicket(
        new RoutemeterError('RM_ERR_PRODUCER_SATURATED', `producer queue full (${queued} bytes queued)`, {
          details: { queuedBytes: queued },
        }),
      );
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry<T> = { item, bytes, records, state: 'pending', resolve, reject };
    if (records === 0) {
      entry.state = 'sent';
      resolve();
    } else {
      this.#pending.push(entry);
      this.#pendingBytes += bytes;
      this.#schedule();
    }
    return {
      done,
      cancel: () => {
        if (entry.state !== 'pending') return false;
        entry.state = 'cancelled';
        this.#pendingBytes -= entry.bytes;
        reject(new RoutemeterError('RM_ERR_PRODUCE_TIMEOUT', 'withdrawn before it was sent'));
        return true;
      },
      get sent() {
        return entry.state === 'sent';
      },
    };
  }

  /** Sends everything pending and waits until nothing is in flight (for shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#inflight) {
        await this.#inflight;
        continue;
      }
      if (this.#pendingBytes <= 0 && !this.#pending.some((e) => e.state === 'pending')) return;
      this.#kick();
    }
  }

  /** Refuses new submissions; what is pending is still sent by `flush`. */
  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#inflight) return; // the send in flight kicks on completion
    if (this.#pendingBytes >= this.#opts.maxBatchBytes) {
      this.#kick();
      return;
    }
    if (this.#timer === null) this.#timer = setTimeout(() => this.#kick(), this.#opts.lingerMs);
  }

  #kick(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#inflight) return;
    const batch: Entry<T>[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < this.#pending.length; i++) {
      const e = this.#pending[i]!;
      if (e.state !== 'pending') continue;
      if (batch.length > 0 && bytes + e.bytes > this.#opts.maxBatchBytes) break;
      batch.push(e);
      bytes += e.bytes;
    }
    this.#pending = this.#pending.slice(i);
    if (batch.length === 0) {
      this.#pendingBytes = 0;
      return;
    }
    this.#pendingBytes -= bytes;
    this.#inflightBytes = bytes;

    const items: T[] = [];
    let records = 0;
    for (const e of batch) {
      e.state = 'sent';
      records += e.records;
      items.push(e.item);
    }

    const started = performance.now();
    this.#inflight = this.#opts.send(items).then(
      () => this.#settle(batch, records, bytes, started, null),
      (err: unknown) =>
        this.#settle(
          batch,
          records,
          bytes,
          started,
          err ?? new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', 'send failed without a reason'),
        ),
    );
  }

  #settle(batch: Entry<T>[], records: number, bytes: number, started: number, error: unknown): void {
    this.#inflight = null;
    this.#inflightBytes = 0;
    if (error === null) {
      for (const e of batch) e.resolve();
    } else {
      const err = new RoutemeterError(
        'RM_ERR_KAFKA_UNAVAILABLE',
        `Kafka did not acknowledge: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
      for (const e of batch) e.reject(err);
    }
    try {
      this.#opts.onBatch?.({
        submissions: batch.length,
        records,
        bytes,
        durationMs: performance.now() - started,
        error,
      });
    } catch {
      // telemetry must not break the send loop
    }
    // Work that arrived during the send has waited at least as long as a linger.
    if (this.#pending.length > 0) this.#kick();
  }
}

/** A ticket that failed before it was queued (closing, saturated). */
export function rejectedTicket(err: RoutemeterError): Ticket {
  const done = Promise.reject(err);
  done.catch(() => {}); // the caller may look only at `done` later
  return { done, cancel: () => false, sent: false };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
