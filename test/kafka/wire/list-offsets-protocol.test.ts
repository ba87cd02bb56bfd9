import { describe, expect, it } from 'vitest';
import {
  decodeListOffsetsResponse,
  EARLIEST_TIMESTAMP,
  encodeListOffsetsRequest,
} from '../../../src/kafka/wire/list-offsets-protocol.js';
import { WireReader } from '../../../src/kafka/wire/wire-reader.js';
import { WireWriter } from '../../../src/kafka/wire/wire-writer.js';

describe('ListOffsets v1–v5', () => {
  it.each([1, 2, 4, 5])('encodes a v%i request for one partition', (version) => {
    const w = new WireWriter();
    encodeListOffsetsRequest(w, version, {
      topic: 't',
      partition: 2,
      timestamp: EARLIEST_TIMESTAMP,
      isolationLevel: 1,
      currentLeaderEpoch: 5,
    });
    const e = new WireWriter();
    e.int32(-1);
    if (version >= 2) e.int8(1);
    e.int32(1).int16(1).raw(Buffer.from('t')).int32(1).int32(2);
    if (version >= 4) e.int32(5);
    e.int32(-1).int32(-2); // int64 -2
    expect(Buffer.from(w.bytes()).toString('hex')).toBe(Buffer.from(e.bytes()).toString('hex'));
  });

  it.each([1, 2, 4, 5])('decodes a v%i response, picking the asked partition', (version) => {
    const w = new WireWriter();
    if (version >= 2) w.int32(0);
    w.int32(1).string('t').int32(2);
    for (const [p, err, off] of [
      [1, 0, 10],
      [2, 6, 2 ** 33],
    ] as const) {
      w.int32(p).int16(err).int64(-1).int64(off);
      if (version >= 4) w.int32(3);
    }
    const r = new WireReader(Buffer.from(w.bytes()));
    expect(decodeListOffsetsResponse(r, version, 't', 2)).toEqual({ errorCode: 6, offset: 2 ** 33 });
    expect(r.remaining).toBe(0);
  });
});
