import { Worker } from 'node:worker_threads';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { deserializeError } from '../errors/serialize-error.js';
import { resolveWorkerScript } from '../util/worker-script.js';
import type { PartitionWorkerData } from './partition-worker-data.js';
import type { MainToWorker, WorkerToMain } from './protocol.js';

/** What the supervisor needs of a worker thread (a fake in unit tests). */
export interface WorkerHandle {
  readonly id: number;
  /** partitions currently handed to this thread, as `topic:partition` keys (supervisor.ts) */
  readonly partitions: Set<string>;
  readonly alive: boolean;
  start(): void;
  send(msg: MainToWorker): void;
  terminate(): Promise<void>;
}

export type WorkerMessageHandler = (host: WorkerHandle, msg: WorkerToMain) => void;
export type WorkerExitHandler = (host: WorkerHandle, error: Error | null, exitCode: number) => void;
export type WorkerFactory = (
  id: number,
  data: PartitionWorkerData,
  onMessage: WorkerMessageHandler,
  onExit: WorkerExitHandler,
) => WorkerHandle;

/** Node's code for a worker that hit `resourceLimits` (its heap cap). */
export const WORKER_OUT_OF_MEMORY = 'ERR_WORKER_OUT_OF_MEMORY';

/**
 * The main thread's handle on one worker thread. It forwards the worker's
 * messages and reports its end exactly once: `error` (an uncaught exception,
 * after which the thread exits) and `exit` are handled separately, as piscina
 * does, and folded into one `onExit(error | null)`. The thread's old-generation
 * heap is capped (`WORKER_MAX_HEAP_MB`), so a runaway thread dies alone with
 * ERR_WORKER_OUT_OF_MEMORY instead of taking the process down.
 */
class WorkerHost implements WorkerHandle {
  private worker: Worker | null = null;
  private ended = false;
  private lastError: Error | null = null;
  readonly partitions = new Set<string>();

  constructor(
    readonly id: number,
    private readonly data: PartitionWorkerData,
    private readonly onMessage: WorkerMessageHandler,
    private readonly onExit: WorkerExitHandler,
  ) {}

  start(): void {
    const heapMb = this.data.config.runtime.workerMaxHeapMb;
    const worker = new Worker(resolveWorkerScript(import.meta.url, 'partition-worker.js'), {
      workerData: this.data,
      ...(heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
    });
    this.worker = worker;
    worker.on('message', (msg: WorkerToMain) => {
      if (msg.code === 'fatal') this.lastError = deserializeError(msg.error);
      this.onMessage(this, msg);
    });
    worker.on('error', (err) => {
      this.lastError = err;
    });
    worker.on('exit', (code) => {
      if (this.ended) return;
      this.ended = true;
      this.worker = null;
      this.onExit(
        this,
        code === 0
          ? null
          : (this.lastError ??
              new RoutemeterError('RM_ERR_WORKER_CRASHED', `worker ${this.id} exited with code ${code}`)),
        code,
      );
    });
  }

  get alive(): boolean {
    return this.worker !== null && !this.ended;
  }

  send(msg: MainToWorker): void {
    this.worker?.postMessage(msg);
  }

  /** Ends the thread now (after a clean shutdown, or when the budget ran out). */
  async terminate(): Promise<void> {
    this.ended = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}

export const spawnWorkerThread: WorkerFactory = (id, data, onMessage, onExit) =>
  new WorkerHost(id, data, onMessage, onExit);
