import { createRequire } from 'node:module';

/**
 * A faster encoder for kafkajs 2.2.4's v2 record (the record inside a RecordBatch):
 *
 *   Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *             Key:varint-bytes Value:varint-bytes Headers:[HeaderKey:varint-string HeaderValue:varint-bytes]
 *
 * kafkajs builds every record from fresh zero-filled 512-byte Encoders (one for the
 * record, one per header) and then copies them together; with the drain's three
 * headers per record that is most of the producer thread's time (bench/drain.ts:
 * about 2–3x fewer records/s with headers than without). This encoder writes the
 * same bytes into one buffer of the exact size, using kafkajs's own Encoder methods.
 *
 * It replaces kafkajs's module `src/protocol/recordBatch/record/v0` in the require
 * cache, which kafkajs loads lazily (on the first produce), so it must be installed
 * before the first produce. It installs only on kafkajs 2.2.4 and only if it writes
 * the same bytes as kafkajs for a sample record; otherwise kafkajs is left alone.
 */
const require = createRequire(import.meta.url);

type HeaderValue = Buffer | string | null | Array<Buffer | string>;
interface RecordArgs {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue | undefined>;
}
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  buffer: Buffer;
  writeVarInt(v: number): KafkajsEncoder;
  writeInt8(v: number): KafkajsEncoder;
  writeVarLong(v: number): KafkajsEncoder;
  writeVarIntBytes(v: Buffer | string | null | undefined): KafkajsEncoder;
  writeVarIntString(v: string): KafkajsEncoder;
}
interface EncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  sizeOfVarInt(v: number): number;
  sizeOfVarLong(v: number): number;
  sizeOfVarIntBytes(v: Buffer | string | null | undefined): number;
}

const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';

interface EncodedHeaders {
  keys: string[];
  values: Array<Buffer | string | null>;
  size: number;
}

export function createFastRecordEncoder(Encoder: EncoderClass) {
  // All records of one drain request share one headers object: flatten and size it once.
  // (A headers object must not change after its first record: true in the producer thread,
  // where only the drain produces and builds a new object per request.)
  const cache = new WeakMap<object, EncodedHeaders>();
  const encodeHeaders = (headers: Record<string, HeaderValue | undefined>): EncodedHeaders => {
    const cached = cache.get(headers);
    if (cached) return cached;
    const keys: string[] = [];
    const values: Array<Buffer | string | null> = [];
    for (const k of Object.keys(headers)) {
      const v = headers[k];
      if (Array.isArray(v)) {
        for (const x of v) {
          keys.push(k);
          values.push(x);
        }
      } else {
        keys.push(k);
        values.push(v as Buffer | string | null);
      }
    }
    let size = Encoder.sizeOfVarInt(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const ks = Buffer.byteLength(keys[i]!);
      const v = values[i];
      size += Encoder.sizeOfVarInt(ks) + ks;
      if (v === null || v === undefined) size += Encoder.sizeOfVarInt(-1);
      else {
        const vs = Buffer.byteLength(v);
        size += Encoder.sizeOfVarInt(vs) + vs;
      }
    }
    const encoded = { keys, values, size };
    cache.set(headers, encoded);
    return encoded;
  };

  return ({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordArgs): KafkajsEncoder => {
    const h = encodeHeaders(headers);
    const sizeOfBody =
      1 +
      Encoder.sizeOfVarLong(timestampDelta) +
      Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) +
      Encoder.sizeOfVarIntBytes(value) +
      h.size;
    // An Encoder without the zero-filled buffer its constructor allocates.
    const enc = Object.create(Encoder.prototype) as KafkajsEncoder;
    enc.buf = Buffer.allocUnsafe(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody);
    enc.offset = 0;
    enc
      .writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarInt(h.keys.length);
    for (let i = 0; i < h.keys.length; i++) enc.writeVarIntString(h.keys[i]!).writeVarIntBytes(h.values[i]);
    return enc;
  };
}

/** Installs the fast encoder in this thread's kafkajs; returns why not when it does not. */
export function installFastRecordEncoder(): { installed: boolean; reason: string } {
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (version !== '2.2.4') return { installed: false, reason: `kafkajs ${version}, not 2.2.4` };
    const path = require.resolve(RECORD_MODULE);
    if (require.cache[path]?.exports && (require.cache[path]!.exports as { fast?: boolean }).fast) {
      return { installed: true, reason: 'already installed' };
    }
    const original = require(RECORD_MODULE) as (args: RecordArgs) => KafkajsEncoder;
    const fast = Object.assign(createFastRecordEncoder(require(ENCODER_MODULE) as EncoderClass), {
      fast: true,
    });
    const sample: RecordArgs = {
      offsetDelta: 300,
      timestampDelta: 1234567,
      key: Buffer.from('app.herokuapp.com'),
      value: Buffer.from('<158>1 2020-01-08T22:33:57Z host heroku router - at=info é'),
      headers: { a: Buffer.from('x'), 'b-é': 'y', d: ['1', Buffer.from('2')] },
    };
    if (!fast(sample).buffer.equals(original(sample).buffer)) {
      return { installed: false, reason: 'self-check: bytes differ from kafkajs' };
    }
    require.cache[path]!.exports = fast;
    return { installed: true, reason: 'ok' };
  } catch (err) {
    return { installed: false, reason: (err as Error).message };
  }
}
