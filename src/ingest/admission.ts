/**
 * Admission: whether the drain takes on one more request, decided from its headers,
 * before a byte of its body is read into memory.
 *
 *   in flight  ≥ maxInflight                                   ─▶ refuse 'inflight'
 *   queued + reserved + this body > maxQueuedBytes (and > 0 of either) ─▶ refuse 'queued_bytes'
 *   else reserve the body's bytes (Content-Length, or the body limit when chunked) until released
 *
 * `queued` is what the producer still holds (RecordBatcher.queuedBytes); `reserved` is what
 * admitted requests may still read. Together they bound the memory bodies can take, so a
 * burst while Kafka is slow gets fast 503s (logplex retries) instead of growing the heap.
 * The first request is always admitted when nothing is queued, so one body larger than
 * the queue bound still passes.
 */
export type AdmissionRefusal = 'inflight' | 'queued_bytes';

export interface Admitted {
  ok: true;
  /** the body now sits in the producer's queue (counted there): stop reserving its bytes */
  handedOver(): void;
  /** the request is answered */
  release(): void;
}
export type AdmissionResult = Admitted | { ok: false; reason: AdmissionRefusal };

export interface AdmissionOptions {
  maxInflight: number;
  maxQueuedBytes: number;
  /** bytes the producer holds right now */
  queuedBytes: () => number;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  #inflight = 0;
  #reserved = 0;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
  }

  get inflight(): number {
    return this.#inflight;
  }

  get reservedBytes(): number {
    return this.#reserved;
  }

  /** `bodyBytes`: the declared Content-Length, or the body limit for a chunked body. */
  admit(bodyBytes: number): AdmissionResult {
    if (this.#inflight >= this.#opts.maxInflight) return { ok: false, reason: 'inflight' };
    const held = this.#opts.queuedBytes() + this.#reserved;
    if (held > 0 && held + bodyBytes > this.#opts.maxQueuedBytes)
      return { ok: false, reason: 'queued_bytes' };
    this.#inflight++;
    this.#reserved += bodyBytes;
    let reserved = bodyBytes;
    let released = false;
    const handedOver = () => {
      this.#reserved -= reserved;
      reserved = 0;
    };
    return {
      ok: true,
      handedOver,
      release: () => {
        if (released) return;
        released = true;
        handedOver();
        this.#inflight--;
      },
    };
  }
}
