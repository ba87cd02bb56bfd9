import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RuntimeHealth } from '../../src/runtime/runtime-health.js';
import { Field, PartitionCounters, WorkerField } from '../../src/runtime/worker-metrics.js';

/** Readiness and liveness rules with fakes: a clock, a PING that answers or not, shared counters. */
function setup(opts: { pingOk?: boolean; assigned?: number[]; storeOutageExitMs?: number } = {}) {
  let now = 1_000_000;
  let pingOk = opts.pingOk ?? true;
  const counters = new PartitionCounters(PartitionCounters.allocate(4), 4);
  const probe: { lastSuccessMs: number } = { lastSuccessMs: now };
  const outages: string[] = [];
  const redis = {
    ping: () => (pingOk ? Promise.resolve('PONG') : Promise.reject(new Error('down'))),
  };
  const health = new RuntimeHealth({
    registry: new Registry(),
    redis,
    probe,
    counters: () => counters,
    assigned: () => opts.assigned ?? [0, 1],
    supervisorReady: () => true,
    liveWorkers: () => [0, 1],
    lagProbeIntervalMs: 5000,
    storeOutageExitMs: opts.storeOutageExitMs ?? 60_000,
    livenessStallMs: 30_000,
    onStoreOutage: (reason) => outages.push(reason),
    logger: pino({ level: 'silent' }),
    now: () => now,
  });
  return {
    health,
    counters,
    probe,
    outages,
    advance: (ms: number) => {
      now += ms;
    },
    setPing: (ok: boolean) => {
      pingOk = ok;
    },
    now: () => now,
  };
}

describe('RuntimeHealth', () => {
  it('is ready once the group answered, the store answers and every assigned partition is claimed', async () => {
    const t = setup();
    await t.health.check();
    expect(t.health.ready().reasons).toEqual([
      'no answer from the consumer group yet',
      'partitions not claimed yet: 0,1',
    ]);
    t.health.assignment();
    t.counters.set(0, Field.owned, 1);
    expect(t.health.ready().reasons).toEqual(['partitions not claimed yet: 1']);
    t.counters.set(1, Field.owned, 1);
    expect(t.health.ready()).toEqual({ ok: true, reasons: [] });
  });

  it('is ready with no partitions when the group gave it none', async () => {
    const t = setup({ assigned: [] });
    await t.health.check();
    t.health.assignment();
    expect(t.health.ready().ok).toBe(true);
  });

  it('is not ready while every partition is paused, or Kafka or the store does not answer', async () => {
    const t = setup();
    await t.health.check();
    t.health.assignment();
    for (const p of [0, 1]) t.counters.set(p, Field.owned, 1);
    t.counters.set(0, Field.paused, 1);
    expect(t.health.ready().ok).toBe(true); // one of two paused: still working
    t.counters.set(1, Field.paused, 1);
    expect(t.health.ready().reasons).toEqual(['every partition is paused']);
    t.counters.set(1, Field.paused, 0);
    t.advance(16_000); // no ListOffsets answer for 3 probe periods (at least 15 s)
    expect(t.health.ready().reasons).toEqual(['Kafka unreachable (ListOffsets)']);
    t.probe.lastSuccessMs = t.now();
    t.setPing(false);
    await t.health.check();
    expect(t.health.ready().reasons).toEqual(['store unreachable (Redis PING)']);
  });

  it('fails liveness when a live worker has not written its heartbeat for livenessStallMs', () => {
    const t = setup();
    t.counters.setWorker(0, WorkerField.heartbeatMs, t.now());
    t.counters.setWorker(1, WorkerField.heartbeatMs, t.now());
    t.advance(20_000);
    t.counters.setWorker(1, WorkerField.heartbeatMs, t.now());
    expect(t.health.live().ok).toBe(true);
    t.advance(11_000);
    expect(t.health.live()).toEqual({ ok: false, reasons: ['worker 0 silent for 31 s'] });
  });

  it('calls onStoreOutage once, after storeOutageExitMs without the store, counted from the start', async () => {
    const t = setup({ pingOk: false, storeOutageExitMs: 10_000 });
    await t.health.check();
    t.advance(9000);
    await t.health.check();
    expect(t.outages).toEqual([]);
    t.advance(1000);
    await t.health.check();
    t.advance(1000);
    await t.health.check();
    expect(t.outages).toEqual(['store unreachable for 10 s (STORE_OUTAGE_EXIT_MS=10000)']);
  });

  it('a store that comes back resets the outage clock', async () => {
    const t = setup({ pingOk: false, storeOutageExitMs: 10_000 });
    t.advance(8000);
    t.setPing(true);
    await t.health.check();
    t.setPing(false);
    t.advance(8000);
    await t.health.check();
    expect(t.outages).toEqual([]);
  });
});
