import { Worker } from 'node:worker_threads';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { deserializeError } from '../errors/serialize-error.js';
import type { Logger } from '../telemetry/logger.js';
import { resolveWorkerScript } from '../util/worker-script.js';
import type { MainToProducer, ProducerToMain, ProducerWorkerData } from './producer-protocol.js';
import { ownBody, type RecordSlab } from './record-slab.js';

/**
 * The main-thread side of the producer thread (producer-worker.ts):
 *
 *   RecordBatcher ──send(slabs)──▶ ProducerThread ──postMessage(transfer bodies)──▶ worker: kafkajs
 *        ▲                                 │
 *        └──────── resolve / reject ◀──────┴── done | failed
 *
 * A worker that dies (error or exit) fails every call in flight with
 * RM_ERR_KAFKA_UNAVAILABLE (the drain answers 503 and logplex retries); the next call
 * starts a new worker, at most one start per second so a worker that cannot boot
 * does not spin.
 */
const RESPAWN_MIN_INTERVAL_MS = 1000;

export class ProducerThread {
  readonly #data: ProducerWorkerData;
  readonly #logger: Logger;
  #worker: Worker | null = null;
  #connected: Promise<void> | null = null;
  #lastStart = 0;
  #nextId = 1;
  readonly #calls = new Map<number, { resolve: () => void; reject: (err: unknown) => void }>();

  constructor(data: ProducerWorkerData, logger: Logger) {
    this.#data = data;
    this.#logger = logger;
  }

  /** Starts the worker and connects its producer (rejects with RM_ERR_KAFKA_UNAVAILABLE). */
  connect(): Promise<void> {
    if (this.#connected) return this.#connected;
    if (Date.now() - this.#lastStart < RESPAWN_MIN_INTERVAL_MS) {
      return Promise.reject(new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', 'producer thread restarting'));
    }
    this.#lastStart = Date.now();
    const worker = new Worker(resolveWorkerScript(import.meta.url, 'producer-worker.js'), {
      workerData: this.#data,
    });
    this.#worker = worker;
    worker.on('message', (msg: ProducerToMain) => this.#onMessage(msg));
    worker.on('error', (err) => this.#onDeath(worker, err));
    worker.on('exit', (code) =>
      this.#onDeath(
        worker,
        new RoutemeterError('RM_ERR_WORKER_CRASHED', `producer thread exited with code ${code}`),
      ),
    );
    const connected = this.#call(worker, { code: 'connect', id: 0 }, []);
    this.#connected = connected;
    connected.catch(() => {
      if (this.#connected === connected) this.#connected = null;
    });
    return connected;
  }

  /** Produces the slabs' records (acks=all); the slabs' bodies are transferred, unusable afterwards. */
  readonly send = async (slabs: RecordSlab[]): Promise<void> => {
    await this.connect();
    const worker = this.#worker!;
    const transfer = new Set<ArrayBuffer>();
    for (const slab of slabs) {
      transfer.add(ownBody(slab));
      if (slab.records.buffer instanceof ArrayBuffer) transfer.add(slab.records.buffer);
    }
    await this.#call(worker, { code: 'send', id: 0, slabs }, [...transfer]);
  };

  /** Disconnects the producer and ends the thread; after `timeoutMs` the thread is terminated anyway. */
  async disconnect(timeoutMs = 5000): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = null; // its exit is expected from here on
    this.#connected = null;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#call(worker, { code: 'disconnect', id: 0 }, []),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
    } catch {
      // a dead worker has nothing left to disconnect
    } finally {
      clearTimeout(timer);
    }
    await worker.terminate();
  }

  #call(worker: Worker, msg: MainToProducer, transfer: ArrayBuffer[]): Promise<void> {
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  }

  #onMessage(msg: ProducerToMain): void {
    switch (msg.code) {
      case 'done':
        this.#calls.get(msg.id)?.resolve();
        this.#calls.delete(msg.id);
        return;
      case 'failed':
        this.#calls.get(msg.id)?.reject(deserializeError(msg.error));
        this.#calls.delete(msg.id);
        return;
      case 'log':
        this.#logger[msg.level](msg.fields, msg.msg);
        return;
      default: {
        const unknown: never = msg;
        this.#logger.error(
          { event: 'drain.protocol_error', msg: unknown },
          'unknown message from producer thread',
        );
      }
    }
  }

  #onDeath(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#connected = null;
    this.#logger.error({ event: 'drain.producer_thread_died', err: err.message }, 'producer thread died');
    const failure = new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', `producer thread died: ${err.message}`, {
      cause: err,
    });
    for (const call of this.#calls.values()) call.reject(failure);
    this.#calls.clear();
  }
}
