import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordBatchDecoder } from '../../src/kafka/record-batch-decoder.js';
import { createByteRange, findRecordHeader, forEachRecordHeader } from '../../src/kafka/record-header.js';
import { encodeBatch, rechecksum, type TestBatch } from './kafkajs-batches.js';

/**
 * The decoder against kafkajs's own RecordBatch encoder: random records (null and binary
 * keys and values, headers, timestamp deltas), random codecs, several batches with offset
 * gaps (as compaction leaves them), random fetch offsets, and every truncation point.
 * Then fuzzing: random bytes and mutated valid batches never throw and always end.
 */

interface Decoded {
  offset: number;
  timestampMs: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
}

const bytes = fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u));
const record = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), bytes, { maxKeys: 4 }),
  timestampDelta: fc.integer({ min: 0, max: 2 ** 40 }),
  gap: fc.nat(3),
});
const batchSpec = fc.record({
  codec: fc.constantFrom(0, 0, 1, 2, 3, 4),
  gapBefore: fc.nat(5),
  baseTimestamp: fc.integer({ min: 0, max: 2 ** 44 }),
  records: fc.array(record, { minLength: 0, maxLength: 8 }),
});

interface Built {
  buf: Buffer;
  /** each batch's end in buf and the records it holds */
  ends: number[];
  expected: Decoded[][];
  lastOffsets: number[];
}

type BatchSpec = typeof batchSpec extends fc.Arbitrary<infer T> ? T : never;

async function build(specs: BatchSpec[], firstOffset: number): Promise<Built> {
  let next = firstOffset;
  const parts: Buffer[] = [];
  const ends: number[] = [];
  const expected: Decoded[][] = [];
  const lastOffsets: number[] = [];
  let size = 0;
  for (const spec of specs) {
    const baseOffset = next + spec.gapBefore;
    let delta = 0;
    const records = spec.records.map((r, i) => {
      if (i > 0) delta += 1 + r.gap;
      return { ...r, offsetDelta: delta };
    });
    const batch: TestBatch = {
      baseOffset,
      baseTimestamp: spec.baseTimestamp,
      codec: spec.codec,
      records,
      lastOffsetDelta: delta,
    };
    const buf = await encodeBatch(batch);
    parts.push(buf);
    size += buf.length;
    ends.push(size);
    lastOffsets.push(baseOffset + delta);
    expected.push(
      records.map((r) => ({
        offset: baseOffset + r.offsetDelta,
        timestampMs: spec.baseTimestamp + r.timestampDelta,
        key: r.key === null ? null : r.key.toString('hex'),
        value: r.value === null ? null : r.value.toString('hex'),
        headers: Object.entries(r.headers).map(([k, v]) => [k, v.toString('hex')] as [string, string]),
      })),
    );
    next = baseOffset + delta + 1;
  }
  return { buf: Buffer.concat(parts), ends, expected, lastOffsets };
}

function collecting() {
  const seen: Decoded[] = [];
  const range = createByteRange();
  const decoder = new RecordBatchDecoder({
    onRecord(buf, valueStart, valueEnd, offset, timestampMs, view) {
      const headers: Array<[string, string]> = [];
      forEachRecordHeader(buf, view.headersStart, view.headersEnd, (ks, ke, vs, ve) => {
        headers.push([buf.toString('utf8', ks, ke), buf.toString('hex', vs, ve)]);
      });
      for (const [k, v] of headers) {
        // findRecordHeader finds the first header of a name; kafkajs writes each name once.
        expect(findRecordHeader(buf, view.headersStart, view.headersEnd, Buffer.from(k), range)).toBe(true);
        expect(buf.toString('hex', range.start, range.end)).toBe(v);
      }
      seen.push({
        offset,
        timestampMs,
        key: view.keyIsNull ? null : buf.toString('hex', view.keyStart, view.keyEnd),
        value: view.valueIsNull ? null : buf.toString('hex', valueStart, valueEnd),
        headers,
      });
    },
  });
  return { seen, decoder };
}

describe('RecordBatchDecoder against kafkajs-encoded batches', () => {
  it('delivers exactly the records at or after the fetch offset, of every codec', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.nat(40),
        async (specs, firstOffset, skip) => {
          const built = await build(specs, firstOffset);
          const fetchOffset = firstOffset + skip;
          const all = built.expected.flat();
          const { seen, decoder } = collecting();
          const res = await decoder.decode({ buf: built.buf, start: 0, end: built.buf.length, fetchOffset });
          expect(seen).toEqual(all.filter((r) => r.offset >= fetchOffset));
          expect(res.stopReason).toBe('end');
          expect(res.bytesConsumed).toBe(built.buf.length);
          expect(res.nextOffset).toBe(Math.max(fetchOffset, built.lastOffsets.at(-1)! + 1));
          expect(res.skippedBelowOffset).toBe(all.length - seen.length);
          expect(res.crcErrors + res.corruptBatches).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  it('cut at every byte: whole batches are read, the rest is left for the next fetch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchSpec, { minLength: 1, maxLength: 3 }), async (specs) => {
        const built = await build(specs, 100);
        const { seen, decoder } = collecting();
        for (let cut = 0; cut <= built.buf.length; cut++) {
          seen.length = 0;
          const res = await decoder.decode({ buf: built.buf, start: 0, end: cut, fetchOffset: 100 });
          const whole = built.ends.filter((e) => e <= cut).length;
          const consumed = whole === 0 ? 0 : built.ends[whole - 1]!;
          expect(res.bytesConsumed).toBe(consumed);
          expect(res.partialBytes).toBe(cut - consumed);
          expect(seen).toEqual(built.expected.slice(0, whole).flat());
          expect(res.nextOffset).toBe(whole === 0 ? 100 : built.lastOffsets[whole - 1]! + 1);
          if (cut === consumed) expect(res.stopReason).toBe('end');
          else if (whole === 0 && cut >= 12) {
            expect(res.stopReason).toBe('first-batch-too-large');
            expect(res.requiredBytes).toBe(built.ends[0]);
          } else expect(res.stopReason).toBe('partial');
          expect(res.error === null || res.error.code === 'RM_ERR_FETCH_TOO_SMALL').toBe(true);
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});

describe('RecordBatchDecoder fuzzing: no input throws or loops', () => {
  const stopReasons = ['end', 'partial', 'first-batch-too-large', 'corrupt', 'unsupported', 'needs-async'];

  /** Decodes and checks the invariants that hold for any input. */
  async function decodeAnything(buf: Buffer, options: { verifyCrc: boolean; skip: boolean }) {
    let calls = 0;
    const decoder = new RecordBatchDecoder({
      verifyCrc: options.verifyCrc,
      onCorruptBatch: options.skip ? 'skip' : 'stop',
      maxDecompressedBytes: 1 << 20,
      onRecord(b, valueStart, valueEnd, offset, _ts, view) {
        calls++;
        // Every range handed out lies inside the buffer handed out.
        expect(0 <= valueStart && valueStart <= valueEnd && valueEnd <= b.length).toBe(true);
        expect(view.keyStart <= view.keyEnd && view.keyEnd <= valueStart).toBe(true);
        expect(valueEnd <= view.headersStart && view.headersStart <= view.headersEnd).toBe(true);
        expect(view.headersEnd <= b.length).toBe(true);
        expect(Number.isFinite(offset)).toBe(true);
        findRecordHeader(b, view.headersStart, view.headersEnd, Buffer.from('app'), createByteRange());
      },
    });
    const sync = decoder.decodeSync({ buf, start: 0, end: buf.length, fetchOffset: 0 });
    expect(stopReasons).toContain(sync.stopReason);
    const syncRecords = sync.records; // the result object is reused by the next decode
    const res = await decoder.decode({ buf, start: 0, end: buf.length, fetchOffset: 0 });
    expect(stopReasons).toContain(res.stopReason);
    expect(res.stopReason).not.toBe('needs-async');
    expect(res.bytesConsumed).toBeGreaterThanOrEqual(0);
    expect(res.bytesConsumed).toBeLessThanOrEqual(buf.length);
    expect(res.records).toBe(calls - syncRecords);
    // A record takes at least 7 bytes, so the records are bounded by the bytes (1 MiB of decompression each).
    expect(res.records).toBeLessThanOrEqual((buf.length + (res.batches + 1) * (1 << 20)) / 7);
    return res;
  }

  it('arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.boolean(),
        fc.boolean(),
        async (u, verifyCrc, skip) => {
          await decodeAnything(Buffer.from(u), { verifyCrc, skip });
        },
      ),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('arbitrary bytes behind a plausible batch header', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 49, maxLength: 600 }),
        fc.integer({ min: 0, max: 7 }),
        fc.nat(20),
        async (u, codec, count) => {
          const buf = Buffer.concat([Buffer.alloc(12), Buffer.from(u)]);
          buf.writeInt32BE(u.length, 8);
          buf[16] = 2;
          buf.writeInt16BE(codec, 21);
          buf.writeInt32BE(count, 23);
          buf.writeInt32BE(count, 57);
          rechecksum(buf);
          await decodeAnything(buf, { verifyCrc: true, skip: false });
        },
      ),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('mutated valid batches (with and without the CRC fixed up)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        async (specs, flips, fixCrc, skip) => {
          const built = await build(specs, 0);
          const buf = Buffer.from(built.buf);
          for (const [at, x] of flips) buf[at % buf.length]! ^= x;
          if (fixCrc) {
            let start = 0;
            for (const end of built.ends) {
              if (buf.readInt32BE(start + 8) === end - start - 12) rechecksum(buf.subarray(start, end));
              start = end;
            }
          }
          await decodeAnything(buf, { verifyCrc: true, skip });
          await decodeAnything(buf, { verifyCrc: false, skip });
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);
});
