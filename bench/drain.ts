/**
 * bench/drain.ts: how fast the drain turns logplex POSTs into acknowledged Kafka
 * records, against Kafka's own Java producer on the same broker in the same run.
 *
 * Setup (one machine, local stack from `bash scripts/stack.sh up`):
 *   - the drain runs in a child process (dist/bench/drain-server.js) with its real
 *     config path: Basic auth, frame-id dedupe in Redis, idempotent producers, acks=all,
 *     the linger/batching layer, DRAIN_PRODUCER_THREADS from the environment (else the
 *     default), the codec given by --codec (default: the config's gzip);
 *   - this process posts realistic 100-line batches (~30 KB, from the seeded line
 *     generator: Zipf routes over 50 apps, H-codes, app output and runtime-metric noise)
 *     over --connections keep-alive connections, one request in flight per connection
 *     (as logplex), a fresh Logplex-Frame-Id per request. Each round has three steps:
 *       1. max: as fast as the drain answers, for --seconds: lines/s, latency, and the
 *          drain process's CPU per line (all its threads);
 *       2. Kafka's org.apache.kafka.tools.ProducerPerformance produces records of the
 *          same payloads (--payload-file of the generated lines) to the same topic with
 *          acks=all, the same codec and linger.ms=5: the reference;
 *       3. paced: the drain again, at half of step 2's rate (each connection posts on a
 *          schedule; latency counted from when a request was due), for --seconds.
 *     Goals: max / ProducerPerformance ≥ 0.7, and p99 < 100 ms in the paced step.
 *   - last, the parser alone on one core: body → frames → header → kind → Kafka
 *     messages (what the drain does per request), and the runtime's parseRouterEvent.
 * Everything shares the machine's cores with the broker, so compare ratios within a
 * round, not absolutes; with --rounds > 1 the summary gives the medians over rounds.
 *
 *   npm run build && node dist/bench/drain.js [--seconds 15] [--connections 16] [--codec gzip] [--rounds 1]
 *
 * Prints one comparable summary line at the end.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { buildBatchRecords } from '../src/ingest/batch-records.js';
import { parseRfc3339 } from '../src/logplex/rfc3339-timestamp.js';
import { createRouterEvent } from '../src/logplex/router-event.js';
import { parseRouterEvent } from '../src/logplex/router-line.js';
import {
  BENCH_AUTHORIZATION,
  benchTopic,
  makeBatches,
  median,
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
    rounds: { type: 'string', default: '1' },
    'pp-records': { type: 'string', default: '600000' },
    'skip-pp': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const codec = values.codec!;
const producerThreads = loadConfig({ ...process.env, DRAIN_ALLOW_OPEN: 'true' }).drain.producerThreads;

const stack = stackEnv();
const topic = `bench-drain-${Date.now().toString(36)}`;
const partitions = 6;
const { batches, lines } = makeBatches(200);
const avgBatchBytes = batches.reduce((n, b) => n + b.body.length, 0) / batches.length;
const avgLineBytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / lines.length;
console.log(
  `setup: ${batches.length} distinct batches of 100 lines, ${(avgBatchBytes / 1024).toFixed(1)} KB avg ` +
    `(${avgLineBytes.toFixed(0)} B/line); ${connections} keep-alive connections; ${seconds} s; codec ${codec}; ` +
    `${producerThreads} producer thread(s); topic ${topic} (${partitions} partitions); Kafka ${stack.kafkaVersion}`,
);

interface Round {
  rate: number;
  mb: number;
  p50: number;
  p99: number;
  cpuUsPerLine: number;
  pp: number;
  pacedRate: number;
  pacedP50: number;
  pacedP99: number;
  pacedFailed: number;
  load: number;
}
const done: Round[] = [];

const dropTopic = await benchTopic(stack.brokers, topic, partitions);
try {
  const drain = await startBenchDrain(stack, topic, codec, { TOPIC_PARTITIONS: String(partitions) });
  const authorization = BENCH_AUTHORIZATION;
  await runLoad({ port: drain.port, batches, seconds: 2, connections, authorization }); // warm-up
  for (let round = 1; round <= rounds; round++) {
    // 1. routemeter drain, end to end, as fast as it answers
    const load1 = loadavg()[0]!;
    const cpu0 = await drain.cpuSeconds();
    const load = await runLoad({ port: drain.port, batches, seconds, connections, authorization });
    const cpu = (await drain.cpuSeconds()) - cpu0;
    const rate = load.okLines / load.seconds;
    const mb = load.bytes / load.seconds / 1e6;
    const cpuUsPerLine = (cpu * 1e6) / Math.max(1, load.okLines);
    console.log(
      `[${round}] routemeter drain: ${Math.round(rate)} lines/s, ${mb.toFixed(2)} MB/s body, ` +
        `${load.requests} requests (${load.failed} not 2xx), p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms; ` +
        `drain CPU ${cpuUsPerLine.toFixed(1)} µs/line (${((cpu / load.seconds) * 100).toFixed(0)}% of a core); load average ${load1.toFixed(1)}`,
    );

    // 2. Kafka's ProducerPerformance, same topic, same payloads, same codec, acks=all
    let pp = Number.NaN;
    if (!values['skip-pp']) {
      const r = await producerPerformance({
        brokers: stack.brokers,
        topic,
        lines,
        records: Number(values['pp-records']),
        compression: codec,
        kafkaVersion: stack.kafkaVersion,
      });
      pp = r.recordsPerSec;
      console.log(`[${round}] ProducerPerformance: ${r.line}`);
    }

    // 3. the drain at half of the reference's rate (half of its own max without a reference)
    const target = (Number.isFinite(pp) ? pp : rate) / 2;
    const paced = await runLoad({
      port: drain.port,
      batches,
      seconds,
      connections,
      authorization,
      linesPerSecond: target,
    });
    const pacedRate = paced.okLines / paced.seconds;
    console.log(
      `[${round}] paced at ${Math.round(target)} lines/s: ${Math.round(pacedRate)} lines/s, ${paced.requests} requests ` +
        `(${paced.failed} not 2xx), p50 ${paced.p50Ms.toFixed(1)} ms, p99 ${paced.p99Ms.toFixed(1)} ms`,
    );
    console.log(
      `[${round}] ratio ${(rate / pp).toFixed(2)}, paced p99 ${paced.p99Ms.toFixed(1)} ms (load average ${load1.toFixed(1)}–${loadavg()[0]!.toFixed(1)})`,
    );
    done.push({
      rate,
      mb,
      p50: load.p50Ms,
      p99: load.p99Ms,
      cpuUsPerLine,
      pp,
      pacedRate,
      pacedP50: paced.p50Ms,
      pacedP99: paced.p99Ms,
      pacedFailed: paced.failed,
      load: load1,
    });
  }
  const stats = await drain.stop();
  console.log(
    `drain: ${Math.round(stats.recordsPerCall)} records per produce call, ${((stats.produceSeconds * 1000) / Math.max(1, stats.produceCalls)).toFixed(1)} ms per call on average; ` +
      `HTTP event loop ${(stats.elu * 100).toFixed(0)}% busy`,
  );

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

  const med = (f: (r: Round) => number) => median(done.map(f));
  const ratio = med((r) => r.rate / r.pp);
  const pacedP99 = med((r) => r.pacedP99);
  const ok = (b: boolean) => (b ? 'met' : 'MISSED');
  const of = rounds > 1 ? `median of ${rounds} rounds` : '1 round';
  console.log(
    `drain-bench codec=${codec} conns=${connections} threads=${producerThreads} (${of}): routemeter ${Math.round(med((r) => r.rate))} lines/s ` +
      `${med((r) => r.mb).toFixed(1)} MB/s p50=${med((r) => r.p50).toFixed(1)}ms p99=${med((r) => r.p99).toFixed(1)}ms ` +
      `${med((r) => r.cpuUsPerLine).toFixed(1)}µs CPU/line | ProducerPerformance ${Math.round(med((r) => r.pp))} rec/s | ` +
      `ratio ${ratio.toFixed(2)} (goal >= 0.7 ${ok(ratio >= 0.7)}) | at half of it ${Math.round(med((r) => r.pacedRate))} lines/s ` +
      `p50=${med((r) => r.pacedP50).toFixed(1)}ms p99=${pacedP99.toFixed(1)}ms (goal < 100 ${ok(pacedP99 < 100)}) | ` +
      `parser ${Math.round(parserRate)} lines/s/core | load average ${med((r) => r.load).toFixed(1)}`,
  );
  if (rounds > 1) {
    console.log(
      `per round: ratio ${done.map((r) => (r.rate / r.pp).toFixed(2)).join(' ')}; paced p99 ms ${done.map((r) => r.pacedP99.toFixed(0)).join(' ')}`,
    );
  }
} finally {
  await dropTopic();
}
process.exit(0);
