/**
 * bench/drain.ts: how fast the drain turns logplex POSTs into acknowledged Kafka
 * records, against Kafka's own Java producer on the same broker in the same run.
 *
 * Setup (one machine, local stack from `bash scripts/stack.sh up`):
 *   - the drain runs in a child process (dist/bench/drain-server.js) with its real
 *     config path: Basic auth, frame-id dedupe in Redis, idempotent producer, acks=all,
 *     the linger/batching layer, the codec given by --codec (default: the config's gzip);
 *   - this process posts realistic 100-line batches (~30 KB, from the seeded line
 *     generator: Zipf routes over 50 apps, H-codes, app output and runtime-metric noise)
 *     over --connections keep-alive connections for --seconds, one request in flight
 *     per connection (as logplex), a fresh Logplex-Frame-Id per request;
 *   - then Kafka's org.apache.kafka.tools.ProducerPerformance produces records of the
 *     same payloads (--payload-file of the generated lines) to the same topic with
 *     acks=all and the same codec: the reference. The goal is routemeter/reference ≥ 0.5;
 *   - last, the parser alone on one core: body → frames → header → kind → Kafka
 *     messages (what the drain does per request), and the runtime's parseRouterEvent.
 * Everything shares the machine's cores with the broker, so compare ratios, not absolutes.
 *
 *   npm run build && node dist/bench/drain.js [--seconds 15] [--connections 16] [--codec gzip]
 *
 * Prints one comparable summary line at the end.
 */
import { parseArgs } from 'node:util';
import { buildBatchRecords } from '../src/ingest/batch-records.js';
import { parseRfc3339 } from '../src/logplex/rfc3339-timestamp.js';
import { createRouterEvent } from '../src/logplex/router-event.js';
import { parseRouterEvent } from '../src/logplex/router-line.js';
import {
  BENCH_AUTHORIZATION,
  benchTopic,
  makeBatches,
  producerPerformance,
  runLoad,
  stackEnv,
  startBenchDrain,
} from './drain-harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
    codec: { type: 'string', default: process.env.PRODUCER_COMPRESSION ?? 'gzip' },
    'pp-records': { type: 'string', default: '600000' },
    'skip-pp': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const codec = values.codec!;

const stack = stackEnv();
const topic = `bench-drain-${Date.now().toString(36)}`;
const partitions = 6;
const { batches, lines } = makeBatches(200);
const avgBatchBytes = batches.reduce((n, b) => n + b.body.length, 0) / batches.length;
const avgLineBytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / lines.length;
console.log(
  `setup: ${batches.length} distinct batches of 100 lines, ${(avgBatchBytes / 1024).toFixed(1)} KB avg ` +
    `(${avgLineBytes.toFixed(0)} B/line); ${connections} keep-alive connections; ${seconds} s; codec ${codec}; ` +
    `topic ${topic} (${partitions} partitions); Kafka ${stack.kafkaVersion}`,
);

const dropTopic = await benchTopic(stack.brokers, topic, partitions);
try {
  // 1. routemeter drain, end to end
  const drain = await startBenchDrain(stack, topic, codec, { TOPIC_PARTITIONS: String(partitions) });
  const authorization = BENCH_AUTHORIZATION;
  await runLoad({ port: drain.port, batches, seconds: 2, connections, authorization }); // warm-up
  const load = await runLoad({ port: drain.port, batches, seconds, connections, authorization });
  const stats = await drain.stop();
  const drainRate = load.okLines / load.seconds;
  const drainMB = load.bytes / load.seconds / 1e6;
  console.log(
    `routemeter drain: ${Math.round(drainRate)} lines/s, ${drainMB.toFixed(2)} MB/s body, ` +
      `${load.requests} requests (${load.failed} not 2xx), p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms; ` +
      `${Math.round(stats.recordsPerCall)} records per produce call; drain event loop ${(stats.elu * 100).toFixed(0)}% busy`,
  );

  // 2. Kafka's ProducerPerformance, same topic, same payloads, same codec, acks=all
  let ppRate = Number.NaN;
  if (!values['skip-pp']) {
    const pp = await producerPerformance({
      brokers: stack.brokers,
      topic,
      lines,
      records: Number(values['pp-records']),
      compression: codec,
      kafkaVersion: stack.kafkaVersion,
    });
    ppRate = pp.recordsPerSec;
    console.log(`ProducerPerformance: ${pp.line}`);
  }

  // 3. parser only, one core
  let parsed = 0;
  let t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (let i = 0; i < 20; i++) {
      const r = buildBatchRecords(batches[(parsed / 100 + i) % batches.length]!.body, {
        drainToken: 'd.x',
        frameId: 'F',
        receivedAtMs: 0,
        appOutput: 'drop',
        platformTopic: false,
      });
      parsed += r.framing.frames;
    }
  }
  const parserRate = parsed / ((performance.now() - t0) / 1000);

  const bufs = lines.map((l) => Buffer.from(l));
  const ev = createRouterEvent();
  let events = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const b of bufs) if (parseRouterEvent(b, 0, b.length, ev)) events++;
  }
  const eventRate = events / ((performance.now() - t0) / 1000);

  const stamps = bufs.slice(0, 5000).map((b) => b.subarray(7, 7 + b.indexOf(0x20, 7) - 7));
  let n = 0;
  let acc = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 500) {
    for (const s of stamps) acc += parseRfc3339(s, 0, s.length);
    n += stamps.length;
  }
  const byHand = n / ((performance.now() - t0) / 1000);
  n = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 500) {
    for (const s of stamps) acc += Date.parse(s.toString());
    n += stamps.length;
  }
  const viaDate = n / ((performance.now() - t0) / 1000);
  if (acc === 42) console.log(''); // keeps the parse loops from being optimised away
  console.log(
    `parser (1 core): drain path ${Math.round(parserRate)} lines/s; parseRouterEvent ${Math.round(eventRate)} lines/s; ` +
      `timestamp by hand ${(byHand / 1e6).toFixed(1)} M/s vs Date.parse(toString) ${(viaDate / 1e6).toFixed(1)} M/s`,
  );

  const ratio = drainRate / ppRate;
  console.log(
    `drain-bench codec=${codec} conns=${connections}: routemeter ${Math.round(drainRate)} lines/s ${drainMB.toFixed(1)} MB/s ` +
      `p50=${load.p50Ms.toFixed(1)}ms p99=${load.p99Ms.toFixed(1)}ms | ProducerPerformance ${Math.round(ppRate)} rec/s | ` +
      `ratio ${ratio.toFixed(2)} (goal >= 0.5) | parser ${Math.round(parserRate)} lines/s/core`,
  );
} finally {
  await dropTopic();
}
process.exit(0);
