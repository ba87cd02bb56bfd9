import { describe, expect, it } from 'vitest';
import {
  FIELD_COUNT,
  Field,
  MAX_WORKERS,
  PartitionCounters,
  WORKER_FIELD_COUNT,
  WorkerField,
} from '../../src/runtime/worker-metrics.js';

describe('PartitionCounters', () => {
  it('shares one buffer between writers and readers, one row per partition', () => {
    const buffer = PartitionCounters.allocate(4);
    expect(buffer.byteLength).toBe((4 * FIELD_COUNT + MAX_WORKERS * WORKER_FIELD_COUNT) * 8);
    const writer = new PartitionCounters(buffer, 4);
    const reader = new PartitionCounters(buffer, 4);
    writer.add(2, Field.records, 10);
    writer.add(2, Field.records, 5);
    writer.set(3, Field.position, 42);
    expect(reader.get(2, Field.records)).toBe(15);
    expect(reader.get(3, Field.position)).toBe(42);
    expect(reader.get(1, Field.records)).toBe(0);
  });

  it('keeps worker rows after the partition rows, apart from them', () => {
    const counters = new PartitionCounters(PartitionCounters.allocate(2), 2);
    counters.setWorker(1, WorkerField.heapUsedBytes, 123);
    counters.setWorker(MAX_WORKERS - 1, WorkerField.heartbeatMs, 9);
    counters.setWorker(MAX_WORKERS, WorkerField.heartbeatMs, 10); // out of range: ignored
    expect(counters.getWorker(1, WorkerField.heapUsedBytes)).toBe(123);
    expect(counters.getWorker(MAX_WORKERS - 1, WorkerField.heartbeatMs)).toBe(9);
    expect(counters.getWorker(0, WorkerField.heapUsedBytes)).toBe(0);
    for (const p of [0, 1]) for (let f = 0; f < FIELD_COUNT; f++) expect(counters.get(p, f)).toBe(0);
  });

  it('ignores partitions beyond its capacity instead of corrupting memory', () => {
    const counters = new PartitionCounters(PartitionCounters.allocate(2), 2);
    counters.add(5, Field.records, 1);
    expect(counters.get(5, Field.records)).toBe(0);
    expect([...counters.slots].every((v) => v === 0)).toBe(true);
  });
});
