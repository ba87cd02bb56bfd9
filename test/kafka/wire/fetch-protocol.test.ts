import { describe, expect, it } from 'vitest';
import {
  decodeFetchResponse,
  encodeFetchRequest,
  type FetchRequest,
} from '../../../src/kafka/wire/fetch-protocol.js';
import { WireReader } from '../../../src/kafka/wire/wire-reader.js';
import { WireWriter } from '../../../src/kafka/wire/wire-writer.js';

const req: FetchRequest = {
  topic: 'rt',
  partition: 3,
  fetchOffset: 2 ** 40 + 7,
  maxWaitMs: 250,
  minBytes: 1,
  maxBytes: 1 << 20,
  partitionMaxBytes: 1 << 19,
  isolationLevel: 1,
  currentLeaderEpoch: 9,
};

/** The request body by hand, field by field as the protocol guide lists them for `version`. */
function expectedRequest(version: number): Buffer {
  const w = new WireWriter();
  w.int32(-1)
    .int32(250)
    .int32(1)
    .int32(1 << 20)
    .int8(1);
  if (version >= 7) w.int32(0).int32(-1);
  w.int32(1).int16(2).raw(Buffer.from('rt'));
  w.int32(1).int32(3);
  if (version >= 9) w.int32(9);
  w.int32(2 ** 8).int32(7); // int64 2^40 + 7, high word then low word
  if (version >= 5) w.int32(-1).int32(-1);
  w.int32(1 << 19);
  if (version >= 7) w.int32(0);
  if (version >= 11) w.int16(0);
  return Buffer.from(w.bytes());
}

/** A v`version` response for one partition, with `records` and the given aborted list. */
function response(
  version: number,
  records: Buffer | null,
  aborted: [number, number][] | null,
  extra = false,
) {
  const w = new WireWriter();
  w.int32(0);
  if (version >= 7) w.int16(0).int32(0);
  w.int32(1).string('rt');
  w.int32(extra ? 2 : 1);
  if (extra) {
    // another partition first: its fields must be skipped exactly
    w.int32(4).int16(0).int64(1).int64(1);
    if (version >= 5) w.int64(0);
    w.int32(-1);
    if (version >= 11) w.int32(-1);
    w.int32(3).raw(Buffer.from('abc'));
  }
  w.int32(3).int16(0).int64(500).int64(480);
  if (version >= 5) w.int64(17);
  if (aborted === null) w.int32(-1);
  else {
    w.int32(aborted.length);
    for (const [p, f] of aborted) w.int64(p).int64(f);
  }
  if (version >= 11) w.int32(-1);
  if (records === null) w.int32(-1);
  else w.int32(records.length).raw(records);
  return Buffer.from(w.bytes());
}

describe('Fetch v4–v11', () => {
  it.each([4, 5, 7, 9, 11])('encodes a v%i request field by field', (version) => {
    const w = new WireWriter(8);
    encodeFetchRequest(w, version, req);
    expect(Buffer.from(w.bytes()).toString('hex')).toBe(expectedRequest(version).toString('hex'));
  });

  it.each([4, 5, 7, 11])('decodes a v%i response, leaving the records as a range of the frame', (version) => {
    const records = Buffer.from('0123456789');
    const buf = response(version, records, [[12, 400]], true);
    const { errorCode, partition } = decodeFetchResponse(new WireReader(buf), version, 'rt', 3);
    expect(errorCode).toBe(0);
    expect(partition).toMatchObject({
      errorCode: 0,
      highWatermark: 500,
      lastStableOffset: 480,
      logStartOffset: version >= 5 ? 17 : -1,
      abortedTransactions: [{ producerId: 12, firstOffset: 400 }],
    });
    expect(partition!.buffer).toBe(buf);
    expect(buf.toString('utf8', partition!.recordsStart, partition!.recordsEnd)).toBe('0123456789');
  });

  it('reads null records and a null aborted list, and says when the partition is missing', () => {
    const buf = response(11, null, null);
    const { partition } = decodeFetchResponse(new WireReader(buf), 11, 'rt', 3);
    expect(partition).toMatchObject({ abortedTransactions: null, recordsStart: 0, recordsEnd: 0 });
    expect(decodeFetchResponse(new WireReader(buf), 11, 'rt', 4).partition).toBeNull();
  });

  it('rejects a truncated response with a protocol error instead of reading past it', () => {
    const buf = response(11, Buffer.from('0123456789'), null);
    for (const cut of [3, 10, buf.length - 4, buf.length - 1]) {
      expect(() => decodeFetchResponse(new WireReader(buf, 0, cut), 11, 'rt', 3)).toThrow(
        expect.objectContaining({ code: 'RM_ERR_KAFKA_PROTOCOL' }),
      );
    }
  });
});
