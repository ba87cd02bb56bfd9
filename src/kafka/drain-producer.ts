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

/**
 * The drain's Kafka producer: idempotent, acks=all (-1), one request in flight.
 *
 * After a failed send the producer is thrown away and a new one (a new producer id)
 * is made for the next send. The reason is kafkajs 2.2.4's sequence bookkeeping:
 * when a produce request fails it rolls the partition's sequence number back, yet the
 * broker may have written that batch (a timeout after the write). The next batch would
 * then reuse those sequence numbers and the broker would take it for a duplicate and
 * drop it while acknowledging it: a silent loss. A fresh producer id starts its own
 * sequences, so a retried batch can only be duplicated (which the drain counts), never lost.
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
      // kafkajs retries an idempotent send forever by default; the drain must answer
      // within logplex's 5 s, so a failed send is reported and retried by logplex.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
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
