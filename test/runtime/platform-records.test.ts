import { describe, expect, it } from 'vitest';
import type { RecordView } from '../../src/kafka/record-batch-decoder.js';
import { RECORD_HEADERS } from '../../src/kafka/record-slab.js';
import { formatMemorySample } from '../../src/logplex/platform-line-format.js';
import {
  createPlatformRecord,
  PlatformPartitionAggregator,
  platformRecordParser,
  resolvePlatformApp,
} from '../../src/runtime/platform-records.js';

const tokenApps = new Map([['d.mapped', 'mapped.herokuapp.com']]);
/** A zigzag varint, as RecordBatch v2 writes lengths and counts. */
const varint = (n: number): number[] => {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  while (z >>> 7 !== 0) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return out;
};

/**
 * One fetched record as the decoder hands it to a parser: the value's range and a view
 * whose header section is encoded as in a RecordBatch v2 (count, then key/value pairs).
 */
interface Fetched {
  buf: Buffer;
  start: number;
  end: number;
  view: RecordView;
}
const fetched = (value: Buffer, fields: Record<string, string> = {}): Fetched => {
  const section: number[] = [...varint(Object.keys(fields).length)];
  for (const [k, v] of Object.entries(fields)) {
    const key = Buffer.from(k);
    const val = Buffer.from(v);
    section.push(...varint(key.length), ...key, ...varint(val.length), ...val);
  }
  const buf = Buffer.concat([value, Buffer.from(section)]);
  const view: RecordView = {
    keyStart: 0,
    keyEnd: 0,
    keyIsNull: true,
    valueIsNull: false,
    headersStart: value.length,
    headersEnd: buf.length,
    baseOffset: 0,
    producerId: -1,
    partitionLeaderEpoch: 0,
    codec: 0,
  };
  return { buf, start: 0, end: value.length, view };
};
const appOf = (fields: Record<string, string>, apps: ReadonlyMap<string, string>) => {
  const r = fetched(Buffer.alloc(0), fields);
  return resolvePlatformApp(r.buf, r.view, apps);
};
const parseWith = (
  parse: ReturnType<typeof platformRecordParser>,
  value: Buffer,
  fields: Record<string, string>,
  out: ReturnType<typeof createPlatformRecord>,
) => {
  const r = fetched(value, fields);
  return parse(r.buf, r.start, r.end, r.view, out);
};

const line = (dyno: string, iso: string, totalMb: number) =>
  Buffer.from(
    `<45>1 ${iso} host heroku ${dyno} - ${formatMemorySample({
      source: dyno,
      dynoId: 'heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456',
      totalMb,
      rssMb: totalMb - 10,
      cacheMb: 10,
      swapMb: 0,
      pgpgin: 100,
      pgpgout: 10,
      quotaMb: 512,
    })}`,
  );

describe('platform records: which app', () => {
  it('prefers the app header, then DRAIN_TOKEN_APPS for the drain token, then unknown', () => {
    expect(
      appOf(
        { [RECORD_HEADERS.drainToken]: 'd.mapped', [RECORD_HEADERS.app]: 'stamped.herokuapp.com' },
        tokenApps,
      ),
    ).toBe('stamped.herokuapp.com');
    expect(appOf({ [RECORD_HEADERS.drainToken]: 'd.mapped' }, tokenApps)).toBe('mapped.herokuapp.com');
    expect(appOf({ [RECORD_HEADERS.drainToken]: 'd.other' }, tokenApps)).toBe('');
    expect(appOf({}, tokenApps)).toBe('');
    expect(appOf({ [RECORD_HEADERS.app]: 'a.example.com' }, new Map())).toBe('a.example.com');
  });

  it('parses the line and the app; a line without a syslog header is not a platform record', () => {
    const parse = platformRecordParser(tokenApps);
    const out = createPlatformRecord();
    expect(
      parseWith(
        parse,
        line('web.1', '2026-01-01T00:00:20.000000+00:00', 180.43),
        { app: 'x.herokuapp.com' },
        out,
      ),
    ).toBe(true);
    expect(out.app).toBe('x.herokuapp.com');
    expect(out.event.dyno).toBe('web.1');
    expect(out.event.memoryTotalMb).toBe(180.43);
    expect(parseWith(parse, Buffer.from('not a syslog line'), {}, out)).toBe(false);
  });

  it('records unknown apps under "-" and counts them per drain', () => {
    const agg = new PlatformPartitionAggregator({
      windowSeconds: 10,
      rollupSeconds: 60,
      allowedLatenessSeconds: 3600,
      dynoCapPerApp: 10,
      watermarkMs: 0,
    });
    const parse = platformRecordParser(new Map());
    const t = '2026-01-01T00:00:20.000000+00:00';
    for (const [app, dyno] of [
      ['a.herokuapp.com', 'web.1'],
      ['', 'web.1'],
      ['', 'web.2'],
    ] as const) {
      const r = createPlatformRecord();
      parseWith(parse, line(dyno, t, 200), app === '' ? {} : { app }, r);
      agg.record(r);
    }
    expect(agg.activeRoutes).toBe(3);
    const drained = agg.drain();
    expect(drained.unknownApp).toBe(2);
    expect(drained.records).toBe(3);
    expect([...new Set(drained.deltas.map((d) => d.app))].sort()).toEqual(['-', 'a.herokuapp.com']);
    expect(agg.drain().unknownApp).toBe(0);
  });
});
