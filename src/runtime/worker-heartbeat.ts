import { getHeapStatistics } from 'node:v8';
import { type PartitionCounters, WorkerField } from './worker-metrics.js';

/**
 * A worker thread's sign of life, written into its row of the shared counters
 * once a second: the wall clock (its event loop ran) and its V8 heap, which
 * only the thread itself can read. The main thread turns a stale heartbeat into
 * a failing `/healthz` (runtime-health.ts) and the heap into
 * `routemeter_worker_heap_*_bytes`. Unref'd: it never keeps a thread alive.
 */
export function startWorkerHeartbeat(
  counters: PartitionCounters,
  workerId: number,
  everyMs = 1000,
): () => void {
  const beat = (): void => {
    const heap = getHeapStatistics();
    counters.setWorker(workerId, WorkerField.heapUsedBytes, heap.used_heap_size);
    counters.setWorker(workerId, WorkerField.heapTotalBytes, heap.total_heap_size);
    counters.setWorker(workerId, WorkerField.heapLimitBytes, heap.heap_size_limit);
    counters.setWorker(workerId, WorkerField.heartbeatMs, Date.now());
  };
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
