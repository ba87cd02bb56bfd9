/**
 * bench/drain-codecs.ts: which PRODUCER_COMPRESSION pays off for drain records.
 *
 * For each codec (none, gzip, snappy, lz4, zstd):
 *   1. the codec alone on one core: a 512 KB run of generated router lines (what one
 *      coalesced produce call carries) compressed repeatedly: ratio and MB/s in;
 *   2. the drain end to end (as bench/drain.ts, shorter): lines/s and p99 with that codec;
 *   3. Kafka's ProducerPerformance with the same codec and payloads: the reference.
 * On a small shared machine the codec's CPU competes with HTTP, kafkajs and the broker,
 * so "pays off" means: more lines/s end to end, and fewer bytes to the broker (which
 * is what a metered Heroku Kafka plan charges for and its network limits).
 *
 *   npm run build && node dist/bench/drain-codecs.js [--seconds 8] [--codecs none,gzip,snappy,lz4,zstd]
 */
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { type CompressionName, registerCodec } from '../src/kafka/kafka-codecs.js';
import {
  BENCH_AUTHORIZATION,
  benchTopic,
  makeBatches,
  producerPerformance,
  runLoad,
  stackEnv,
  startBenchDrain,
} from './drain-harness.js';

const { CompressionCodecs } = kafkajs;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '16' },
    codecs: { type: 'string', default: 'none,gzip,snappy,lz4,zstd' },
    'pp-records': { type: 'string', default: '300000' },
  },
});
const codecs = values.codecs!.split(',') as CompressionName[];
const stack = stackEnv();
const { batches, lines } = makeBatches(200);
let sample = '';
for (let i = 0; sample.length < 512 * 1024; i++) sample += `${lines[i % lines.length]}\n`;
const payload = Buffer.from(sample);

for (const codec of codecs) {
  // 1. codec alone
  let ratio = 1;
  let mbps = Number.POSITIVE_INFINITY;
  if (codec !== 'none') {
    const impl = CompressionCodecs[registerCodec(codec) as keyof typeof CompressionCodecs]() as {
      compress(e: { buffer: Buffer }): Promise<Buffer>;
    };
    let out = await impl.compress({ buffer: payload });
    ratio = payload.length / out.length;
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1500) {
      out = await impl.compress({ buffer: payload });
      n++;
    }
    mbps = (n * payload.length) / 1e6 / ((performance.now() - t0) / 1000);
  }

  // 2. drain end to end, 3. ProducerPerformance
  const topic = `bench-codec-${codec}-${Date.now().toString(36)}`;
  const drop = await benchTopic(stack.brokers, topic, 6);
  try {
    const drain = await startBenchDrain(stack, topic, codec);
    const authorization = BENCH_AUTHORIZATION;
    const connections = Number(values.connections);
    await runLoad({ port: drain.port, batches, seconds: 2, connections, authorization });
    const load = await runLoad({
      port: drain.port,
      batches,
      seconds: Number(values.seconds),
      connections,
      authorization,
    });
    await drain.stop();
    const pp = await producerPerformance({
      brokers: stack.brokers,
      topic,
      lines,
      records: Number(values['pp-records']),
      compression: codec,
      kafkaVersion: stack.kafkaVersion,
    });
    const rate = load.okLines / load.seconds;
    console.log(
      `codec=${codec.padEnd(6)} ratio ${ratio.toFixed(2)}x, ${Number.isFinite(mbps) ? mbps.toFixed(0) : '-'} MB/s compress (1 core) | ` +
        `drain ${Math.round(rate)} lines/s p99 ${load.p99Ms.toFixed(0)} ms | ProducerPerformance ${Math.round(pp.recordsPerSec)} rec/s | ` +
        `ratio ${(rate / pp.recordsPerSec).toFixed(2)} | ~${((rate * (payload.length / (sample.split('\n').length - 1))) / ratio / 1e6).toFixed(2)} MB/s to the broker`,
    );
  } finally {
    await drop();
  }
}
process.exit(0);
