import { createRequire } from 'node:module';
import { registerAllCodecs } from '../../src/kafka/kafka-codecs.js';

/**
 * RecordBatch v2 bytes written by kafkajs's own encoder (the reference the decoder is tested
 * against), plus the few things kafkajs cannot write (control batches, LogAppendTime),
 * patched in and re-checksummed with kafkajs's CRC-32C.
 */
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch(args: Record<string, unknown>): Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  args: Record<string, unknown>,
) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(n: number): unknown };
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;

registerAllCodecs();

export const CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export interface TestRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestampDelta: number;
  /** defaults to the record's index */
  offsetDelta?: number;
}

export interface TestBatch {
  baseOffset: number;
  baseTimestamp: number;
  codec: number;
  records: TestRecord[];
  producerId?: number;
  transactional?: boolean;
  /** defaults to the last record's offsetDelta */
  lastOffsetDelta?: number;
}

export async function encodeBatch(b: TestBatch): Promise<Buffer> {
  const records = b.records.map((r, i) =>
    Record({
      offsetDelta: r.offsetDelta ?? i,
      timestampDelta: r.timestampDelta,
      key: r.key,
      value: r.value,
      headers: r.headers,
    }),
  );
  const lastOffsetDelta =
    b.lastOffsetDelta ??
    (b.records.length === 0 ? 0 : (b.records.at(-1)!.offsetDelta ?? b.records.length - 1));
  const maxDelta = Math.max(0, ...b.records.map((r) => r.timestampDelta));
  const encoded = await RecordBatch({
    compression: b.codec,
    firstOffset: Long.fromNumber(b.baseOffset),
    firstTimestamp: b.baseTimestamp,
    maxTimestamp: b.baseTimestamp + maxDelta,
    lastOffsetDelta,
    transactional: b.transactional ?? false,
    producerId: Long.fromNumber(b.producerId ?? -1),
    records,
  });
  return encoded.buffer;
}

/** Sets attribute bits (0x08 LogAppendTime, 0x10 transactional, 0x20 control) and fixes the CRC. */
export function patchAttributes(batch: Buffer, bits: number): Buffer {
  const out = Buffer.from(batch);
  out.writeInt16BE(out.readInt16BE(21) | bits, 21);
  return rechecksum(out);
}

export function rechecksum(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32C(batch.subarray(21)) >>> 0, 17);
  return batch;
}

/** A control batch (uncompressed, transactional) with one ABORT (0) or COMMIT (1) marker. */
export async function controlBatch(baseOffset: number, producerId: number, type: 0 | 1): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6); // version int16, coordinatorEpoch int32
  const batch = await encodeBatch({
    baseOffset,
    baseTimestamp: 1_700_000_000_000,
    codec: 0,
    producerId,
    transactional: true,
    records: [{ key, value, headers: {}, timestampDelta: 0 }],
  });
  return patchAttributes(batch, 0x20);
}
