/**
 * bench/record-decoder.ts: routemeter's RecordBatch v2 decoder against kafkajs's, on the
 * same bytes in the same run, one core, no broker.
 *
 * Setup: 200 000 router lines from the generator (seed 7) made into records as the drain
 * writes them (value = the syslog line, key = the app host, headers logplex-drain-token,
 * logplex-frame-id, received-at-ms; the drain's own record encoder, kafka-codecs.ts's
 * codecs), 250 records per batch (a drain produce call over 6 partitions), batches
 * concatenated into fetch-sized buffers of ~1 MiB (`max.partition.fetch.bytes`' default).
 *
 *   ours     RecordBatchDecoder.decode(): CRC-32C checked, a callback per record with
 *            (buf, valueStart, valueEnd, offset, timestampMs); the callback sums the
 *            value lengths and the offsets (touching what a consumer touches).
 *   kafkajs  kafkajs 2.2.4's fetch decoder for one partition (`decodeMessages`, what its
 *            Fetch v4+ response parser calls): an object, a Long and strings per record;
 *            the loop sums value.length and Number(offset), as routemeter's consumer did.
 *
 * Per codec: CPU ns per record (process.cpuUsage, best of --rounds and the median), the
 * ratio kafkajs / ours, and ours without the CRC check (its share of the cost). Then one
 * uncompressed fetch decoded again and again (in cache: the decoder's own cost). A second line gives CRC-32C throughput, native (@node-rs/crc32)
 * and table-driven JS, which is why the native one is used when it loads.
 *
 *   npm run build && node dist/bench/record-decoder.js [--rounds 7] [--codecs none,gzip,snappy,lz4,zstd]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createLineGenerator } from '../src/gen/line-generator.js';
import { crc32c, crc32cImplementation, crc32cJs } from '../src/kafka/crc32c.js';
import { type CompressionName, registerCodec } from '../src/kafka/kafka-codecs.js';
import { createFastRecordEncoder } from '../src/kafka/kafkajs-record-encoder.js';
import { RecordBatchDecoder } from '../src/kafka/record-batch-decoder.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Encoder = require('kafkajs/src/protocol/encoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js') as (
  d: unknown,
) => Promise<Array<{ offset: string; value: Buffer | null }>>;
const Long = require('kafkajs/src/utils/long.js');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    records: { type: 'string', default: '200000' },
    codecs: { type: 'string', default: 'none,gzip,snappy,lz4,zstd' },
  },
});
const ROUNDS = Number(values.rounds);
const RECORDS = Number(values.records);
const PER_BATCH = 250;
const FETCH_BYTES = 1 << 20;

const encodeRecord = createFastRecordEncoder(Encoder);
const gen = createLineGenerator({ seed: 7, appOutputRate: 0, runtimeMetricsRate: 0 });
const lines: Array<{ line: string; app: string }> = [];
while (lines.length < RECORDS) {
  const g = gen();
  if (g.kind === 'router') lines.push({ line: g.line, app: g.app });
}

async function fetches(codec: CompressionName): Promise<Buffer[]> {
  const compression = registerCodec(codec);
  const out: Buffer[] = [];
  let pending: Buffer[] = [];
  let size = 0;
  const headers = {
    'logplex-drain-token': Buffer.from('d.0f8d3c2a-5b7e-4d0e-9a71-2f3c4b5a6d7e'),
    'logplex-frame-id': Buffer.from('8a1b2c3d4e5f60718293a4b5c6d7e8f9'),
    'received-at-ms': Buffer.from('1767225600000'),
  };
  for (let i = 0; i < lines.length; i += PER_BATCH) {
    const records = lines.slice(i, i + PER_BATCH).map((l, j) =>
      encodeRecord({
        offsetDelta: j,
        timestampDelta: j,
        key: Buffer.from(l.app),
        value: Buffer.from(l.line),
        headers,
      }),
    );
    const batch: Buffer = (
      await RecordBatch({
        compression,
        firstOffset: Long.fromNumber(i),
        firstTimestamp: 1_767_225_600_000,
        maxTimestamp: 1_767_225_600_000 + records.length,
        lastOffsetDelta: records.length - 1,
        records,
      })
    ).buffer;
    if (size + batch.length > FETCH_BYTES && pending.length > 0) {
      out.push(Buffer.concat(pending));
      pending = [];
      size = 0;
    }
    pending.push(batch);
    size += batch.length;
  }
  if (pending.length > 0) out.push(Buffer.concat(pending));
  return out;
}

let sink = 0;
const ours = new RecordBatchDecoder({
  onRecord(_buf, valueStart, valueEnd, offset) {
    sink += valueEnd - valueStart + offset;
  },
});

const oursNoCrc = new RecordBatchDecoder({
  verifyCrc: false,
  onRecord(_buf, valueStart, valueEnd, offset) {
    sink += valueEnd - valueStart + offset;
  },
});

async function runOurs(bufs: Buffer[], decoder = ours): Promise<number> {
  let n = 0;
  for (const buf of bufs) {
    const res = await decoder.decode({ buf, start: 0, end: buf.length, fetchOffset: 0 });
    if (res.stopReason !== 'end') throw new Error(`decoder stopped: ${res.stopReason} ${res.error?.message}`);
    n += res.records;
  }
  return n;
}

async function runKafkajs(framed: Buffer[]): Promise<number> {
  let n = 0;
  for (const buf of framed) {
    const records = await decodeMessages(new Decoder(buf));
    for (const r of records) sink += (r.value ? r.value.length : 0) + Number(r.offset);
    n += records.length;
  }
  return n;
}

/** CPU ns per record: best and median of the rounds. */
async function measure(run: () => Promise<number>): Promise<{ best: number; median: number }> {
  await run(); // warm-up
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const n = await run();
    const c = process.cpuUsage(c0);
    per.push(((c.user + c.system) * 1000) / n);
  }
  per.sort((a, b) => a - b);
  return { best: per[0]!, median: per[Math.floor(per.length / 2)]! };
}

let hotFetch: Buffer | null = null;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
for (const codec of values.codecs!.split(',') as CompressionName[]) {
  const bufs = await fetches(codec);
  // kafkajs reads the partition's records from behind their int32 size (MessageSetSize).
  const framed = bufs.map((b) => {
    const f = Buffer.allocUnsafe(4 + b.length);
    f.writeInt32BE(b.length, 0);
    b.copy(f, 4);
    return f;
  });
  const bytes = bufs.reduce((s, b) => s + b.length, 0);
  if (codec === 'none') hotFetch = bufs[0]!;
  if ((await runOurs(bufs)) !== RECORDS || (await runKafkajs(framed)) !== RECORDS) throw new Error('count');
  // kafkajs last: its garbage would be collected on the next measurement's time.
  const a = await measure(() => runOurs(bufs));
  const noCrc = await measure(() => runOurs(bufs, oursNoCrc));
  const k = await measure(() => runKafkajs(framed));
  console.log(
    `record-decoder ${codec.padEnd(6)} ours ${fmt(a.best)} ns/record (median ${fmt(a.median)}), ` +
      `kafkajs ${fmt(k.best)} ns/record (median ${fmt(k.median)}), ` +
      `ratio kafkajs/ours ${(k.best / a.best).toFixed(1)}x (median ${(k.median / a.median).toFixed(1)}x); ` +
      `ours without CRC ${fmt(noCrc.best)} ns/record; ` +
      `${RECORDS} records, ${(bytes / RECORDS).toFixed(0)} B/record on the wire, ${bufs.length} fetches`,
  );
}

/** One fetch decoded again and again (cache-resident): the decoder's own cost, without memory stalls. */
function hot(decoder: RecordBatchDecoder, buf: Buffer): number {
  const input = { buf, start: 0, end: buf.length, fetchOffset: 0 };
  for (let i = 0; i < 50; i++) decoder.decodeSync(input);
  let n = 0;
  const c0 = process.cpuUsage();
  const t = performance.now();
  while (performance.now() - t < 1500) n += decoder.decodeSync(input).records;
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}
if (hotFetch) {
  console.log(
    `record-decoder hot    one ${(hotFetch.length / 1024).toFixed(0)} KiB fetch decoded repeatedly: ` +
      `${fmt(hot(ours, hotFetch))} ns/record with CRC-32C, ${fmt(hot(oursNoCrc, hotFetch))} ns/record without`,
  );
}

// CRC-32C throughput on 1 MiB, per second of CPU (a loaded machine makes wall time meaningless).
const block = Buffer.alloc(FETCH_BYTES, 0x5a);
const rate = (f: () => number): number => {
  let n = 0;
  const c0 = process.cpuUsage();
  const t = performance.now();
  while (performance.now() - t < 1000) {
    sink += f();
    n++;
  }
  const c = process.cpuUsage(c0);
  return (n * block.length) / ((c.user + c.system) / 1e6) / 1e9;
};
const js = rate(() => crc32cJs(block, 0, block.length));
const used = rate(() => crc32c(block, 0, block.length));
console.log(
  `crc32c ${crc32cImplementation} ${used.toFixed(2)} GB/s of CPU, js (slicing-by-8) ${js.toFixed(2)} GB/s, ratio ${(used / js).toFixed(1)}x`,
);
if (sink === 0.5) console.log(sink);
