import type { CompressionTypes, Kafka, Producer, TopicMessages } from 'kafkajs';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { KeyPartitioner } from './key-partitioner.js';

/** What the producer logs through (a pino logger, or the producer thread's relay to one). */
export interface ProducerLogger {
  warn(fields: Record<string, unknown>, msg?: string): void;
}

export interface DrainProducerOptions {
  kafka: Kafka;
  compression: CompressionTypes;
  /** broker-side wait for the in-sync replicas (the produce request's `timeout`) */
  ackTimeoutMs: number;
  logger: ProducerLogger;
}

/** How long one send keeps retrying with the same producer identity (Kafka down for longer: see the class). */
export const SEND_PERSIST_MS = 5 * 60_000;
const MAX_RETRY_MS = 1000;

/**
 * The drain's Kafka producer: idempotent, acks=all (-1), one request in flight.
 *
 * A send that fails is retried INSIDE the same `sendBatch` call, by the same producer (same
 * producer id and epoch), for up to SEND_PERSIST_MS, and only then given up. This is what keeps
 * a logplex retry from writing a batch twice: kafkajs assigns the batch's sequence numbers
 * once per call and resends the same ones, so if the broker had written it before the
 * connection broke (a timeout after the write, a broker stopped mid-request), the resend is
 * recognised as a duplicate and acknowledged without a second write; if it had not, it is
 * written now. Meanwhile the drain has answered 503 at its deadline, but the frame id stays
 * claimed (frame-dedupe.ts refreshes the marker while the send is pending) and is marked done
 * when this call finally succeeds, so logplex's retry gets 204 and produces nothing.
 *
 * After a send that really failed (SEND_PERSIST_MS of retries, or an error kafkajs does not
 * retry) the producer is thrown away and a new one (a new producer id) is made for the next
 * send: kafkajs 2.2.4 rolls the partition's sequence number back on a failed request, and the
 * next, different batch would reuse those numbers; if the broker had written the failed one,
 * it would take the new batch for a duplicate and drop it while acknowledging it: a silent
 * loss. A fresh producer id starts its own sequences, so a retried batch can then only be
 * duplicated, never lost (the window is measured in docs/drain.md).
 */
export class DrainProducer {
  readonly #opts: DrainProducerOptions;
  #producer: Producer | null = null;
  #connecting: Promise<Producer> | null = null;
  #generation = 0;

  constructor(opts: DrainProducerOptions) {
    this.#opts = opts;
  }

  /** How many producers were made (1 + the number of replacements after failures). */
  get generation(): number {
    return this.#generation;
  }

  async connect(): Promise<void> {
    await this.#get();
  }

  /** Produces every record with acks=all; rejects with RM_ERR_KAFKA_UNAVAILABLE. */
  readonly send = async (topicMessages: TopicMessages[]): Promise<void> => {
    const producer = await this.#get();
    try {
      await producer.sendBatch({
        topicMessages,
        acks: -1,
        timeout: this.#opts.ackTimeoutMs,
        compression: this.#opts.compression,
      });
    } catch (err) {
      this.#discard(producer, err);
      throw new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', `produce failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };

  async disconnect(): Promise<void> {
    const pending = this.#connecting;
    this.#connecting = null;
    const producer = this.#producer ?? (pending ? await pending.catch(() => null) : null);
    this.#producer = null;
    if (producer) await producer.disconnect().catch(() => {});
  }

  #get(): Promise<Producer> {
    if (this.#producer) return Promise.resolve(this.#producer);
    if (this.#connecting) return this.#connecting;
    const producer = this.#opts.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: KeyPartitioner,
      // The drain answers logplex within its deadline whatever this call does (503 while it
      // retries); the call itself keeps its sequence numbers for SEND_PERSIST_MS (see above).
      retry: {
        retries: Math.ceil(SEND_PERSIST_MS / MAX_RETRY_MS),
        initialRetryTime: 100,
        maxRetryTime: MAX_RETRY_MS,
      },
    });
    this.#generation++;
    const connecting = producer.connect().then(
      () => {
        if (this.#connecting === connecting) {
          this.#connecting = null;
          this.#producer = producer;
        }
        return producer;
      },
      (err: unknown) => {
        if (this.#connecting === connecting) this.#connecting = null;
        producer.disconnect().catch(() => {});
        throw new RoutemeterError(
          'RM_ERR_KAFKA_UNAVAILABLE',
          `producer connect failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      },
    );
    this.#connecting = connecting;
    return connecting;
  }

  #discard(producer: Producer, err: unknown): void {
    if (this.#producer === producer) this.#producer = null;
    this.#opts.logger.warn(
      { event: 'drain.producer_replaced', err: (err as Error).message, generation: this.#generation },
      'produce failed; the next send uses a new producer id',
    );
    producer.disconnect().catch(() => {});
  }
}
