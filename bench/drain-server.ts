/**
 * The drain under benchmark, in its own process (forked by bench/drain-harness.ts)
 * so that the load generator does not share its event loop. Config comes from the
 * environment (loadConfig); it reports `{ type: 'ready', port }`, answers
 * `{ type: 'cpu' }` with the CPU seconds of the process so far (all threads) and, on
 * `{ type: 'stop' }`, closes and reports the produce-call statistics.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/config.js';
import { startDrain } from '../src/ingest/drain-server.js';

const registry = new Registry();
const handle = await startDrain(
  loadConfig(process.env),
  pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
  registry,
  {
    port: 0,
    host: '127.0.0.1',
  },
);
process.send?.({ type: 'ready', port: handle.port });
const eluStart = performance.eventLoopUtilization();
process.on('message', async (msg: { type: string }) => {
  if (msg.type === 'cpu') {
    // CPU of this process, every thread (HTTP and producer threads) included
    const u = process.cpuUsage();
    process.send?.({ type: 'cpu', cpuSeconds: (u.user + u.system) / 1e6 });
    return;
  }
  if (msg.type !== 'stop') return;
  const calls = await registry.getSingleMetric('routemeter_drain_produce_batch_records')?.get();
  const duration = await registry.getSingleMetric('routemeter_drain_produce_duration_seconds')?.get();
  const count =
    calls?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
  const sum =
    calls?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0;
  const durSum =
    duration?.values
      .filter((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))
      .reduce((a, v) => a + v.value, 0) ?? 0;
  const elu = performance.eventLoopUtilization(eluStart).utilization;
  await handle.close();
  process.send?.({
    type: 'stopped',
    elu,
    produceCalls: count,
    recordsPerCall: count ? sum / count : 0,
    produceSeconds: durSum,
  });
  process.exit(0);
});
