import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';
import {
  type DecodeResult,
  type FetchedRecords,
  RecordBatchDecoder,
  type RecordBatchDecoderOptions,
} from '../../src/kafka/record-batch-decoder.js';
import { createByteRange, findRecordHeader } from '../../src/kafka/record-header.js';
import {
  CODECS,
  controlBatch,
  encodeBatch,
  patchAttributes,
  rechecksum,
  type TestRecord,
} from './kafkajs-batches.js';

interface Seen {
  offset: number;
  timestampMs: number;
  value: string | null;
  key: string | null;
  app: string | null;
}

const APP = Buffer.from('app');

function collector(options: Partial<RecordBatchDecoderOptions> = {}) {
  const seen: Seen[] = [];
  const app = createByteRange();
  const decoder = new RecordBatchDecoder({
    ...options,
    onRecord(buf, valueStart, valueEnd, offset, timestampMs, view) {
      seen.push({
        offset,
        timestampMs,
        value: view.valueIsNull ? null : buf.toString('utf8', valueStart, valueEnd),
        key: view.keyIsNull ? null : buf.toString('utf8', view.keyStart, view.keyEnd),
        app: findRecordHeader(buf, view.headersStart, view.headersEnd, APP, app)
          ? buf.toString('utf8', app.start, app.end)
          : null,
      });
    },
  });
  return {
    seen,
    decoder,
    decode: (input: Omit<FetchedRecords, 'start' | 'end'> & Partial<FetchedRecords>): Promise<DecodeResult> =>
      decoder.decode({ start: 0, end: input.buf.length, ...input }),
  };
}

function records(n: number, prefix = 'v'): TestRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`${prefix}${i}`),
    headers: { app: Buffer.from(`a${i}`), other: Buffer.from('x') },
    timestampDelta: i * 7,
  }));
}

const T0 = 1_700_000_000_000;

describe('RecordBatchDecoder', () => {
  it.each(Object.entries(CODECS))(
    'reads a %s batch: offsets, timestamps, keys, values, headers',
    async (_, codec) => {
      const batch = await encodeBatch({ baseOffset: 1000, baseTimestamp: T0, codec, records: records(5) });
      const c = collector();
      const res = await c.decode({ buf: batch, fetchOffset: 1000 });
      expect(c.seen).toEqual(
        [0, 1, 2, 3, 4].map((i) => ({
          offset: 1000 + i,
          timestampMs: T0 + i * 7,
          value: `v${i}`,
          key: `k${i}`,
          app: `a${i}`,
        })),
      );
      expect(res).toMatchObject({
        stopReason: 'end',
        records: 5,
        batches: 1,
        nextOffset: 1005,
        crcErrors: 0,
      });
      expect(res.bytesConsumed).toBe(batch.length);
    },
  );

  it('reads the batch inside a larger buffer at [start, end)', async () => {
    const batch = await encodeBatch({ baseOffset: 7, baseTimestamp: T0, codec: 0, records: records(2) });
    const buf = Buffer.concat([Buffer.alloc(13, 0xee), batch, Buffer.alloc(5, 0xee)]);
    const c = collector();
    const res = await c.decode({ buf, start: 13, end: 13 + batch.length, fetchOffset: 0 });
    expect(c.seen.map((s) => s.value)).toEqual(['v0', 'v1']);
    expect(res).toMatchObject({ stopReason: 'end', bytesConsumed: batch.length, nextOffset: 9 });
  });

  it('skips records below the fetch offset, counted', async () => {
    const batch = await encodeBatch({ baseOffset: 10, baseTimestamp: T0, codec: 1, records: records(4) });
    const c = collector();
    const res = await c.decode({ buf: Buffer.concat([batch]), fetchOffset: 12 });
    expect(c.seen.map((s) => s.offset)).toEqual([12, 13]);
    expect(res).toMatchObject({ skippedBelowOffset: 2, records: 2, nextOffset: 14 });
    const c2 = collector();
    expect(await c2.decode({ buf: batch, fetchOffset: 20 })).toMatchObject({
      skippedBelowOffset: 4,
      records: 0,
      nextOffset: 20,
    });
  });

  it('keeps a partial batch at the end for the next fetch', async () => {
    const a = await encodeBatch({ baseOffset: 0, baseTimestamp: T0, codec: 0, records: records(3) });
    const b = await encodeBatch({ baseOffset: 3, baseTimestamp: T0, codec: 0, records: records(3) });
    for (const cut of [1, 11, 12, 16, 17, 60, b.length - 1]) {
      const c = collector();
      const res = await c.decode({ buf: Buffer.concat([a, b.subarray(0, cut)]), fetchOffset: 0 });
      expect(res).toMatchObject({ stopReason: 'partial', records: 3, nextOffset: 3, partialBytes: cut });
      expect(res.bytesConsumed).toBe(a.length);
      expect(res.error).toBeNull();
    }
  });

  it('says so when the first batch is larger than the fetch', async () => {
    const a = await encodeBatch({ baseOffset: 5, baseTimestamp: T0, codec: 0, records: records(3) });
    const c = collector();
    const res = await c.decode({ buf: a.subarray(0, 40), fetchOffset: 5 });
    expect(res).toMatchObject({
      stopReason: 'first-batch-too-large',
      requiredBytes: a.length,
      bytesConsumed: 0,
      nextOffset: 5,
    });
    expect(isRoutemeterError(res.error, 'RM_ERR_FETCH_TOO_SMALL')).toBe(true);
    expect(res.error!.canRetry).toBe(true);
  });

  it('counts a wrong CRC and stops at that batch (nothing lost)', async () => {
    const a = await encodeBatch({ baseOffset: 0, baseTimestamp: T0, codec: 0, records: records(2) });
    const b = Buffer.from(
      await encodeBatch({ baseOffset: 2, baseTimestamp: T0, codec: 0, records: records(2) }),
    );
    b[b.length - 3]! ^= 0x40;
    const c = collector();
    const res = await c.decode({ buf: Buffer.concat([a, b, a]), fetchOffset: 0 });
    expect(res).toMatchObject({
      stopReason: 'corrupt',
      crcErrors: 1,
      corruptBatches: 1,
      records: 2,
      nextOffset: 2,
    });
    expect(res.bytesConsumed).toBe(a.length);
    expect(isRoutemeterError(res.error, 'RM_ERR_RECORD_BATCH_CORRUPT')).toBe(true);
    expect(res.error!.canRetry).toBe(true);
    // Asked to skip, it goes on after the bad batch.
    const s = collector({ onCorruptBatch: 'skip' });
    const b2 = await encodeBatch({ baseOffset: 4, baseTimestamp: T0, codec: 0, records: records(1) });
    const skipped = await s.decode({ buf: Buffer.concat([a, b, b2]), fetchOffset: 0 });
    expect(s.seen.map((x) => x.offset)).toEqual([0, 1, 4]);
    expect(skipped).toMatchObject({ stopReason: 'end', crcErrors: 1, nextOffset: 5 });
    // Without CRC checks the damaged value is delivered as is.
    const n = collector({ verifyCrc: false });
    expect(await n.decode({ buf: Buffer.concat([a, b]), fetchOffset: 0 })).toMatchObject({
      crcErrors: 0,
      records: 4,
    });
  });

  it('skips control batches and the records of aborted transactions (Java consumer rules)', async () => {
    const pidA = 7001;
    const pidB = 7002;
    const tx = (baseOffset: number, pid: number, prefix: string) =>
      encodeBatch({
        baseOffset,
        baseTimestamp: T0,
        codec: 0,
        producerId: pid,
        transactional: true,
        records: records(2, prefix),
      });
    const buf = Buffer.concat([
      await tx(0, pidA, 'A1-'), // aborted
      await tx(2, pidB, 'B1-'), // committed
      await controlBatch(4, pidA, 0), // ABORT A
      await controlBatch(5, pidB, 1), // COMMIT B
      await tx(6, pidA, 'A2-'), // A's next transaction: committed (the marker ended the abort)
      await controlBatch(8, pidA, 1),
    ]);
    const c = collector();
    const res = await c.decode({
      buf,
      fetchOffset: 0,
      abortedTransactions: [{ producerId: pidA, firstOffset: 0 }],
    });
    expect(c.seen.map((s) => s.value)).toEqual(['B1-0', 'B1-1', 'A2-0', 'A2-1']);
    expect(res).toMatchObject({ skippedAborted: 2, skippedControl: 3, nextOffset: 9, stopReason: 'end' });
    // READ_UNCOMMITTED (no aborted list): everything but the markers.
    const u = collector();
    expect(await u.decode({ buf, fetchOffset: 0 })).toMatchObject({ records: 6, skippedControl: 3 });
  });

  it('uses maxTimestamp for LogAppendTime batches', async () => {
    const batch = patchAttributes(
      await encodeBatch({ baseOffset: 0, baseTimestamp: T0, codec: 0, records: records(3) }),
      0x08,
    );
    const c = collector();
    await c.decode({ buf: batch, fetchOffset: 0 });
    expect(c.seen.map((s) => s.timestampMs)).toEqual([T0 + 14, T0 + 14, T0 + 14]);
  });

  it('reports null keys and values', async () => {
    const batch = await encodeBatch({
      baseOffset: 0,
      baseTimestamp: T0,
      codec: 0,
      records: [{ key: null, value: null, headers: {}, timestampDelta: 0 }],
    });
    const c = collector();
    await c.decode({ buf: batch, fetchOffset: 0 });
    expect(c.seen).toEqual([{ offset: 0, timestampMs: T0, key: null, value: null, app: null }]);
  });

  it('skips magic 0/1 message sets by length, counted as unsupported', async () => {
    // Message v1: offset int64 | size int32 | crc int32 | magic 1 | attributes | timestamp int64 | key | value
    const legacy = Buffer.alloc(12 + 22 + 3);
    legacy.writeBigInt64BE(41n, 0);
    legacy.writeInt32BE(25, 8);
    legacy[16] = 1;
    legacy.writeInt32BE(-1, 26);
    legacy.writeInt32BE(3, 30);
    legacy.write('abc', 34);
    legacy.writeUInt32BE(crc32(legacy.subarray(16)), 12);
    const batch = await encodeBatch({ baseOffset: 42, baseTimestamp: T0, codec: 0, records: records(1) });
    const c = collector();
    const res = await c.decode({ buf: Buffer.concat([legacy, batch]), fetchOffset: 41 });
    expect(res).toMatchObject({ stopReason: 'end', skippedLegacyBatches: 1, records: 1, nextOffset: 43 });
    expect(isRoutemeterError(res.error, 'RM_ERR_RECORD_BATCH_UNSUPPORTED')).toBe(true);
    // A v2 batch whose magic byte was damaged is not skipped as legacy: its CRC-32 fails.
    const damaged = Buffer.from(batch);
    damaged[16] = 0;
    const d = collector();
    expect(await d.decode({ buf: Buffer.concat([batch, damaged]), fetchOffset: 42 })).toMatchObject({
      stopReason: 'corrupt',
      crcErrors: 1,
      skippedLegacyBatches: 0,
      records: 1,
      nextOffset: 43,
    });
  });

  it('stops at an unknown codec without losing the batch', async () => {
    const batch = await encodeBatch({ baseOffset: 3, baseTimestamp: T0, codec: 0, records: records(1) });
    const odd = Buffer.from(batch);
    odd.writeInt16BE(6, 21);
    rechecksum(odd);
    const c = collector();
    const res = await c.decode({ buf: Buffer.concat([batch, odd]), fetchOffset: 3 });
    expect(res).toMatchObject({
      stopReason: 'unsupported',
      records: 1,
      nextOffset: 4,
      bytesConsumed: batch.length,
    });
    expect(res.error!.canRetry).toBe(false);
  });

  it('stops before a zstd batch in decodeSync and goes on with resume()', async () => {
    const a = await encodeBatch({ baseOffset: 0, baseTimestamp: T0, codec: 0, records: records(2) });
    const z = await encodeBatch({
      baseOffset: 2,
      baseTimestamp: T0,
      codec: CODECS.zstd,
      records: records(2),
    });
    const b = await encodeBatch({ baseOffset: 4, baseTimestamp: T0, codec: 0, records: records(1) });
    const c = collector();
    const buf = Buffer.concat([a, z, b]);
    const first = c.decoder.decodeSync({ buf, start: 0, end: buf.length, fetchOffset: 0 });
    expect(first).toMatchObject({
      stopReason: 'needs-async',
      records: 2,
      bytesConsumed: a.length,
      nextOffset: 2,
    });
    const done = await c.decoder.resume();
    expect(done).toMatchObject({ stopReason: 'end', records: 5, nextOffset: 5, bytesConsumed: buf.length });
    expect(c.seen.map((s) => s.offset)).toEqual([0, 1, 2, 3, 4]);
  });
});
