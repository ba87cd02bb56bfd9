import { createRequire } from 'node:module';

/**
 * A faster encoder for kafkajs 2.2.4's Produce request (v3; v4–v7 reuse it):
 *
 *   Produce Request (v3) => transactional_id:NULLABLE_STRING acks:int16 timeout:int32
 *                           [topic:STRING [partition:int32 record_set_size:int32 record_set]]
 *   record_set (RecordBatch v2) => FirstOffset:int64 Length:int32 PartitionLeaderEpoch:int32
 *                           Magic:int8(2) CRC:uint32 (CRC-32C of what follows) Attributes:int16
 *                           LastOffsetDelta:int32 FirstTimestamp:int64 MaxTimestamp:int64
 *                           ProducerId:int64 ProducerEpoch:int16 FirstSequence:int32
 *                           RecordCount:int32 Records (compressed as one block when a codec is set)
 *   Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *             Key:varint-bytes Value:varint-bytes Headers:[HeaderKey:varint-string HeaderValue:varint-bytes]
 *
 * kafkajs copies every message object (`{ ...message, offsetDelta, timestampDelta }`),
 * encodes each record into buffers of its own and writes every varint through a fresh
 * `Buffer.from([…])`, then copies the records together, once more for the batch and
 * again for the request. Profiled on the drain's producer thread (bench/drain.ts,
 * codec none) that was ~10 µs of CPU per record, a third of it garbage collection.
 * Here the records of a partition are written into one buffer of the exact size, with
 * the headers of a request encoded once (every record of a drain request shares one
 * headers object), and the batch header around them; the codec, the CRC-32C and the
 * fixed fields are kafkajs's own.
 *
 * It replaces kafkajs's module `src/protocol/requests/produce/v3/request` in the require
 * cache, which kafkajs loads lazily (on the first produce), so it must be installed
 * before the first produce. It installs only on kafkajs 2.2.4, and only if it writes the
 * same bytes as kafkajs for a sample request, uncompressed and gzip; a request it does
 * not handle (a message with its own timestamp) is left to kafkajs.
 */
const require = createRequire(import.meta.url);

type Bytes = Buffer | string | null | undefined;
type HeaderValue = Buffer | string | null | Array<Buffer | string>;
interface ProduceMessage {
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, HeaderValue | undefined>;
  timestamp?: string | number | null;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  writeString(v: string | null): KafkajsEncoder;
  writeInt16(v: number): KafkajsEncoder;
  writeInt32(v: number): KafkajsEncoder;
  writeInt64(v: unknown): KafkajsEncoder;
}
interface EncoderClass {
  new (initialSize?: number): KafkajsEncoder;
}
interface ProduceRequest {
  encode(): Promise<KafkajsEncoder>;
  [k: string]: unknown;
}
type ProduceRequestFactory = (args: ProduceArgs) => ProduceRequest;
interface Codec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
}
export interface ProduceEncoderDeps {
  Encoder: EncoderClass;
  /** kafkajs's `Long.fromInt` (the default producer id, -1) */
  longFromInt: (v: number) => unknown;
  lookupCodec: (type: number) => Codec | null;
  crc32C: (buf: Buffer) => number;
}

const REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
const COMPRESSION_NONE = 0;
/** FirstOffset … Magic, CRC: what precedes the CRC-covered part of a batch */
const BATCH_PREFIX = 8 + 4 + 4 + 1 + 4;

/** Bytes of `v` as an unsigned LEB128 varint (v < 2^31 after zigzag). */
function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}
/** zigzag of a 32-bit int, as the varint writer takes it */
const zigzag = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0;

function writeUVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** A message's key or value as bytes (strings as UTF-8, as kafkajs writes them), null when absent. */
function bytesOf(v: Bytes): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
}
/** varint-bytes size: a -1 length for null, else the length and the bytes */
const sizeOfBytes = (b: Buffer | null): number => (b === null ? 1 : uvarintSize(zigzag(b.length)) + b.length);

function writeBytes(buf: Buffer, at: number, b: Buffer | null): number {
  if (b === null) return writeUVarint(buf, at, zigzag(-1));
  at = writeUVarint(buf, at, zigzag(b.length));
  b.copy(buf, at);
  return at + b.length;
}

/** The headers part of a record: count, then key (varint string) and value (varint bytes) pairs. */
function encodeHeaders(headers: Record<string, HeaderValue | undefined>): Buffer {
  const pairs: Array<[Buffer, Buffer | null]> = [];
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    const key = Buffer.from(k, 'utf8');
    if (Array.isArray(v)) for (const x of v) pairs.push([key, bytesOf(x)]);
    else pairs.push([key, bytesOf(v)]);
  }
  let size = uvarintSize(zigzag(pairs.length));
  for (const [k, v] of pairs) size += sizeOfBytes(k) + sizeOfBytes(v);
  const out = Buffer.allocUnsafe(size);
  let at = writeUVarint(out, 0, zigzag(pairs.length));
  for (const [k, v] of pairs) at = writeBytes(out, writeBytes(out, at, k), v);
  return out;
}

const NO_HEADERS = encodeHeaders({});

export function createFastProduceRequest(
  original: ProduceRequestFactory,
  deps: ProduceEncoderDeps,
): ProduceRequestFactory {
  const { Encoder } = deps;
  // All records of one drain request share one headers object: encode it once.
  // (A headers object must not change after its first record: true in the producer
  // thread, where only the drain produces and builds a new object per request.)
  const headerCache = new WeakMap<object, Buffer>();
  const headersOf = (h: ProduceMessage['headers']): Buffer => {
    if (h === undefined || h === null) return NO_HEADERS;
    let b = headerCache.get(h);
    if (b === undefined) {
      b = encodeHeaders(h);
      headerCache.set(h, b);
    }
    return b;
  };

  const encoderOf = (buf: Buffer): KafkajsEncoder => {
    // An Encoder over `buf` without the zero-filled buffer its constructor allocates.
    const enc = Object.create(Encoder.prototype) as KafkajsEncoder;
    enc.buf = buf;
    enc.offset = buf.length;
    return enc;
  };

  /** The records of one partition, back to back: offset deltas 0…n-1, timestamp delta 0. */
  const encodeRecords = (messages: ProduceMessage[]): Buffer => {
    const n = messages.length;
    const keys = new Array<Buffer | null>(n);
    const values = new Array<Buffer | null>(n);
    const headers = new Array<Buffer>(n);
    const sizes = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      const key = bytesOf(m.key);
      const value = bytesOf(m.value);
      const h = headersOf(m.headers);
      keys[i] = key;
      values[i] = value;
      headers[i] = h;
      // attributes (1) + timestamp delta 0 (1) + offset delta + key + value + headers
      const body = 2 + uvarintSize(zigzag(i)) + sizeOfBytes(key) + sizeOfBytes(value) + h.length;
      sizes[i] = body;
      total += uvarintSize(zigzag(body)) + body;
    }
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      at = writeUVarint(out, at, zigzag(sizes[i]!));
      out[at++] = 0; // attributes
      out[at++] = 0; // timestamp delta 0, zigzag varlong
      at = writeUVarint(out, at, zigzag(i));
      at = writeBytes(out, at, keys[i]!);
      at = writeBytes(out, at, values[i]!);
      headers[i]!.copy(out, at);
      at += headers[i]!.length;
    }
    return out;
  };

  const encodeBatch = async (
    p: PartitionData,
    args: Required<Pick<ProduceArgs, 'compression' | 'producerEpoch'>> & {
      producerId: unknown;
      transactional: boolean;
    },
  ): Promise<Buffer> => {
    const n = p.messages.length;
    const now = Date.now();
    const records = encodeRecords(p.messages);
    let section = records;
    if (args.compression !== COMPRESSION_NONE) {
      const codec = deps.lookupCodec(args.compression);
      if (codec === null) throw new Error(`kafkajs has no codec for compression type ${args.compression}`);
      section = await codec.compress(encoderOf(records));
    }
    const attributes = (args.compression & 0x07) | (args.transactional ? TRANSACTIONAL_MASK : 0);
    const head = new Encoder(64)
      .writeInt16(attributes)
      .writeInt32(n - 1)
      .writeInt64(now)
      .writeInt64(now)
      .writeInt64(args.producerId)
      .writeInt16(args.producerEpoch)
      .writeInt32(p.firstSequence ?? 0)
      .writeInt32(n).buffer;
    const crcd = head.length + section.length;
    // Partition:int32 RecordSetSize:int32, then the batch.
    const out = Buffer.allocUnsafe(8 + BATCH_PREFIX + crcd);
    out.writeInt32BE(p.partition, 0);
    out.writeInt32BE(BATCH_PREFIX + crcd, 4);
    out.writeInt32BE(0, 8); // FirstOffset, high
    out.writeInt32BE(0, 12); // FirstOffset, low
    out.writeInt32BE(4 + 1 + 4 + crcd, 16); // Length
    out.writeInt32BE(0, 20); // PartitionLeaderEpoch
    out.writeInt8(MAGIC_BYTE, 24);
    head.copy(out, 29);
    section.copy(out, 29 + head.length);
    out.writeUInt32BE(deps.crc32C(out.subarray(29)), 25);
    return out;
  };

  const encode = async (args: ProduceArgs): Promise<KafkajsEncoder> => {
    const batchArgs = {
      compression: args.compression ?? COMPRESSION_NONE,
      producerEpoch: args.producerEpoch ?? 0,
      producerId: args.producerId ?? deps.longFromInt(-1),
      transactional: !!args.transactionalId,
    };
    const parts: Buffer[] = [
      new Encoder(64)
        .writeString(args.transactionalId ?? null)
        .writeInt16(args.acks)
        .writeInt32(args.timeout)
        .writeInt32(args.topicData.length).buffer,
    ];
    for (const t of args.topicData) {
      parts.push(new Encoder(64).writeString(t.topic).writeInt32(t.partitions.length).buffer);
      for (const p of t.partitions) parts.push(await encodeBatch(p, batchArgs));
    }
    return encoderOf(Buffer.concat(parts));
  };

  const handles = (args: ProduceArgs): boolean => {
    for (const t of args.topicData)
      for (const p of t.partitions)
        for (const m of p.messages) if (m.timestamp !== null && m.timestamp !== undefined) return false;
    return true;
  };

  return (args) => {
    const request = original(args);
    if (!handles(args)) return request;
    return { ...request, encode: () => encode(args) };
  };
}

/** Installs the fast produce encoder in this thread's kafkajs; returns why not when it does not. */
export async function installFastProduceEncoder(): Promise<{ installed: boolean; reason: string }> {
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== '2.2.4') return { installed: false, reason: `kafkajs ${version}, not 2.2.4` };
    const path = require.resolve(REQUEST_MODULE);
    if (require.cache[path]?.exports && (require.cache[path]!.exports as { fast?: boolean }).fast) {
      return { installed: true, reason: 'already installed' };
    }
    const original = require(REQUEST_MODULE) as ProduceRequestFactory;
    const Long = require('kafkajs/src/utils/long.js') as { fromInt(v: number): unknown };
    const { lookupCodec, Types } = require('kafkajs/src/protocol/message/compression/index.js') as {
      lookupCodec: ProduceEncoderDeps['lookupCodec'];
      Types: { None: number; GZIP: number };
    };
    const fast = Object.assign(
      createFastProduceRequest(original, {
        Encoder: require('kafkajs/src/protocol/encoder.js') as EncoderClass,
        longFromInt: (v) => Long.fromInt(v),
        lookupCodec,
        crc32C: require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number,
      }),
      { fast: true },
    );
    for (const compression of [Types.None, Types.GZIP]) {
      const sample = sampleRequest(compression, Long.fromInt(4711));
      const same = await withFixedClock(async () => {
        const a = (await fast(sample).encode()).buffer;
        const b = (await original(sample).encode()).buffer;
        return a.equals(b);
      });
      if (!same)
        return {
          installed: false,
          reason: `self-check: bytes differ from kafkajs (compression ${compression})`,
        };
    }
    require.cache[path]!.exports = fast;
    return { installed: true, reason: 'ok' };
  } catch (err) {
    return { installed: false, reason: (err as Error).message };
  }
}

function sampleRequest(compression: number, producerId: unknown): ProduceArgs {
  const shared = { 'logplex-drain-token': Buffer.from('d.x'), 'b-é': 'y', d: ['1', Buffer.from('2')] };
  const msg = (i: number): ProduceMessage => ({
    key: i % 3 === 0 ? null : i % 3 === 1 ? `app${i}.herokuapp.com` : Buffer.from('k'),
    value: Buffer.from(`<158>1 2020-01-08T22:33:57Z host heroku router - at=info é ${'x'.repeat(i * 7)}`),
    headers: i === 5 ? {} : shared,
  });
  return {
    acks: -1,
    timeout: 3000,
    compression,
    producerId,
    producerEpoch: 3,
    topicData: [
      {
        topic: 'router-logs',
        partitions: [
          { partition: 0, firstSequence: 7, messages: Array.from({ length: 200 }, (_, i) => msg(i)) },
          { partition: 5, firstSequence: 0, messages: [msg(1)] },
        ],
      },
      { topic: 'platform-é', partitions: [{ partition: 2, messages: [msg(2), msg(5)] }] },
    ],
  };
}

/**
 * Runs `fn` with `Date.now` frozen: kafkajs and this encoder stamp each batch with
 * `Date.now()`, and the self-check compares two encodes byte for byte. It runs once, when
 * the producer thread starts, before anything else in that thread is scheduled.
 */
async function withFixedClock<T>(fn: () => Promise<T>): Promise<T> {
  const now = Date.now;
  const t = now();
  Date.now = () => t;
  try {
    return await fn();
  } finally {
    Date.now = now;
  }
}
