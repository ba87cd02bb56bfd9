import { describe, expect, it } from 'vitest';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../src/kafka/wire/metadata-protocol.js';
import { WireReader } from '../../../src/kafka/wire/wire-reader.js';
import { WireWriter } from '../../../src/kafka/wire/wire-writer.js';

describe('Metadata v4–v8', () => {
  it('asks for one topic without creating it', () => {
    const w = new WireWriter();
    encodeMetadataRequest(w, 8, ['t']);
    expect(Buffer.from(w.bytes()).toString('hex')).toBe('00000001' + '0001' + '74' + '00' + '00' + '00');
    const v4 = new WireWriter();
    encodeMetadataRequest(v4, 4, ['t']);
    expect(v4.length).toBe(4 + 3 + 1);
  });

  it.each([4, 5, 7, 8])('decodes brokers and leaders from a v%i response', (version) => {
    const w = new WireWriter();
    w.int32(0);
    w.int32(2);
    w.int32(1).string('b1').int32(9092).string(null);
    w.int32(2).string('b2').int32(9093).string('rack');
    w.string('cluster').int32(1);
    w.int32(1).int16(0).string('t').bool(false);
    w.int32(1);
    w.int16(0).int32(0).int32(2);
    if (version >= 7) w.int32(14);
    w.int32(2).int32(1).int32(2); // replicas
    w.int32(1).int32(2); // isr
    if (version >= 5) w.int32(0); // offline
    if (version >= 8) w.int32(-2147483648);
    if (version >= 8) w.int32(-2147483648);
    const r = new WireReader(Buffer.from(w.bytes()));
    expect(decodeMetadataResponse(r, version)).toEqual({
      brokers: [
        { nodeId: 1, host: 'b1', port: 9092 },
        { nodeId: 2, host: 'b2', port: 9093 },
      ],
      topics: [
        {
          errorCode: 0,
          name: 't',
          partitions: [{ errorCode: 0, partition: 0, leaderId: 2, leaderEpoch: version >= 7 ? 14 : -1 }],
        },
      ],
    });
    expect(r.remaining).toBe(0);
  });
});
