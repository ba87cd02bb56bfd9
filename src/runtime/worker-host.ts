import { Worker } from 'node:worker_threads';
import { deserializeError } from '../errors/serialize-error.js';
import { resolveWorkerScript } from '../util/worker-script.js';
import type { PartitionWorkerData } from './partition-worker.js';
import type { MainToWorker, WorkerToMain } from './protocol.js';

/**
 * The main thread's handle on one worker thread. It forwards the worker's
 * messages and reports its end exactly once: `error` (an uncaught exception,
 * after which the thread exits) and `exit` are handled separately, as piscina
 * does, and folded into one `onExit(error | null)`.
 */
export class WorkerHost {
  private worker: Worker | null = null;
  private ended = false;
  private lastError: Error | null = null;
  readonly partitions = new Set<number>();

  constructor(
    readonly id: number,
    private readonly data: PartitionWorkerData,
    private readonly onMessage: (host: WorkerHost, msg: WorkerToMain) => void,
    private readonly onExit: (host: WorkerHost, error: Error | null, exitCode: number) => void,
  ) {}

  start(): void {
    const worker = new Worker(resolveWorkerScript(import.meta.url, 'partition-worker.js'), {
      workerData: this.data,
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
        code === 0 ? null : (this.lastError ?? new Error(`worker exited with code ${code}`)),
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
