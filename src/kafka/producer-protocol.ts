import type { Config } from '../config/config.js';
import type { SerializedError } from '../errors/serialize-error.js';
import type { CompressionName } from './kafka-codecs.js';
import type { RecordSlab } from './record-slab.js';

/**
 * The drain's HTTP thread ↔ producer thread protocol: plain messages with a `code`
 * (an unknown code is a bug). Record bodies cross as transferred memory.
 *
 *   main ──connect──▶ worker ──done|failed──▶ main
 *   main ──send{slabs}──▶ worker: kafkajs sendBatch (acks=all) ──done|failed──▶ main
 *   main ──disconnect──▶ worker ──done──▶ main (then the worker exits)
 *   worker ──log──▶ main (the main logger writes it)
 */
export interface ProducerWorkerData {
  kafka: Config['kafka'];
  /** connect every broker connection to this `host:port` (see broker-redirect.ts) */
  brokerRedirect: string | null;
  compression: CompressionName;
  requestTimeoutMs: number;
  ackTimeoutMs: number;
  routerTopic: string;
  platformTopic: string | null;
}

export type MainToProducer =
  | { code: 'connect'; id: number }
  | { code: 'send'; id: number; slabs: RecordSlab[] }
  | { code: 'disconnect'; id: number };

export type ProducerToMain =
  | { code: 'done'; id: number }
  | { code: 'failed'; id: number; error: SerializedError }
  | { code: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string };
