import { RoutemeterError } from '../errors/routemeter-error.js';
import { type BatchInfo, RecordBatcher, rejectedTicket, type SendFn, type Ticket } from './record-batcher.js';

/**
 * One RecordBatcher per producer thread; each request's records go, whole, to the
 * batcher that holds the fewest bytes (ties in turn):
 *
 *   request A ─submit─┐                 ┌─▶ batcher 0 ─send─▶ producer thread 0 (producer id X) ─ack─▶ A
 *   request B ─submit─┼─▶ least queued ─┤
 *   request C ─submit─┘                 └─▶ batcher 1 ─send─▶ producer thread 1 (producer id Y) ─ack─▶ B, C
 *
 * Why: kafkajs's idempotent producer allows one produce call in flight (concurrent calls
 * would reuse sequence numbers), so with one producer every request waited for the call
 * before it, and its thread did all the encoding and compression on one core. N producers
 * (each its own producer id and sequences) keep N calls in flight and spread that work.
 *
 * Why whole requests and not partitions: a Heroku drain usually carries one app, whose
 * router lines all share one key and hence one partition; sharding by partition would put
 * such a drain on one thread. Order is kept where it means something: a request's lines
 * stay together and in order (one produce call), and logplex sends a drain's next batch
 * only after this one is answered, i.e. acknowledged. Requests that were in flight at the
 * same time have no order between them (with one producer they had the order of a race).
 *
 * Everything else is the single batcher's: a submission still pending at its deadline is
 * withdrawn (exact 503), one that was sent settles late; `maxQueuedBytes` bounds the
 * bytes of all batchers together (the first submission with nothing queued always passes).
 */
export interface BatcherPoolOptions<T> {
  /** one send per producer thread */
  sends: SendFn<T>[];
  lingerMs: number;
  maxBatchBytes: number;
  maxQueuedBytes: number;
  onBatch?: (info: BatchInfo) => void;
}

export class BatcherPool<T> {
  readonly #batchers: RecordBatcher<T>[];
  readonly #maxQueuedBytes: number;
  #next = 0;
  #closed = false;

  constructor(opts: BatcherPoolOptions<T>) {
    if (opts.sends.length === 0) {
      throw new RoutemeterError('RM_ERR_CONFIG', 'BatcherPool: sends must hold at least one send');
    }
    this.#maxQueuedBytes = opts.maxQueuedBytes;
    this.#batchers = opts.sends.map(
      (send) =>
        new RecordBatcher<T>({
          send,
          lingerMs: opts.lingerMs,
          maxBatchBytes: opts.maxBatchBytes,
          maxQueuedBytes: opts.maxQueuedBytes,
          ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
        }),
    );
  }

  get size(): number {
    return this.#batchers.length;
  }

  /** bytes waiting or in flight, all batchers together */
  get queuedBytes(): number {
    let sum = 0;
    for (const b of this.#batchers) sum += b.queuedBytes;
    return sum;
  }

  /** Queues `item` on the least loaded batcher; fails at once when closing or saturated. */
  submit(item: T, records: number, bytes: number): Ticket {
    if (this.#closed)
      return rejectedTicket(new RoutemeterError('RM_ERR_DRAIN_CLOSING', 'the drain is closing'));
    const queued = this.queuedBytes;
    if (queued > 0 && queued + bytes > this.#maxQueuedBytes) {
      return rejectedTicket(
        new RoutemeterError('RM_ERR_PRODUCER_SATURATED', `producer queue full (${queued} bytes queued)`, {
          details: { queuedBytes: queued },
        }),
      );
    }
    const n = this.#batchers.length;
    let best = this.#next % n;
    for (let k = 1; k < n; k++) {
      const i = (this.#next + k) % n;
      if (this.#batchers[i]!.queuedBytes < this.#batchers[best]!.queuedBytes) best = i;
    }
    this.#next = best + 1;
    return this.#batchers[best]!.submit(item, records, bytes);
  }

  /** Sends everything pending and waits until nothing is in flight (for shutdown). */
  async flush(): Promise<void> {
    await Promise.all(this.#batchers.map((b) => b.flush()));
  }

  /** Refuses new submissions; what is pending is still sent by `flush`. */
  close(): void {
    this.#closed = true;
    for (const b of this.#batchers) b.close();
  }
}
