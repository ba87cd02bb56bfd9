import { describe, expect, it } from 'vitest';
import { RECORD_HEADERS } from '../../src/kafka/record-slab.js';
import { formatMemorySample } from '../../src/logplex/platform-line-format.js';
import {
  createPlatformRecord,
  PlatformPartitionAggregator,
  platformRecordParser,
  resolvePlatformApp,
} from '../../src/runtime/platform-records.js';

const tokenApps = new Map([['d.mapped', 'mapped.herokuapp.com']]);
const headers = (fields: Record<string, string>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Buffer.from(v)]));

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
      resolvePlatformApp(
        headers({ [RECORD_HEADERS.app]: 'stamped.herokuapp.com', [RECORD_HEADERS.drainToken]: 'd.mapped' }),
        tokenApps,
      ),
    ).toBe('stamped.herokuapp.com');
    expect(resolvePlatformApp(headers({ [RECORD_HEADERS.drainToken]: 'd.mapped' }), tokenApps)).toBe(
      'mapped.herokuapp.com',
    );
    expect(resolvePlatformApp(headers({ [RECORD_HEADERS.drainToken]: 'd.other' }), tokenApps)).toBe('');
    expect(resolvePlatformApp(undefined, tokenApps)).toBe('');
    expect(resolvePlatformApp({ [RECORD_HEADERS.app]: ['a.example.com'] }, new Map())).toBe('a.example.com');
  });

  it('parses the line and the app; a line without a syslog header is not a platform record', () => {
    const parse = platformRecordParser(tokenApps);
    const out = createPlatformRecord();
    expect(
      parse(
        line('web.1', '2026-01-01T00:00:20.000000+00:00', 180.43),
        headers({ app: 'x.herokuapp.com' }),
        out,
      ),
    ).toBe(true);
    expect(out.app).toBe('x.herokuapp.com');
    expect(out.event.dyno).toBe('web.1');
    expect(out.event.memoryTotalMb).toBe(180.43);
    expect(parse(Buffer.from('not a syslog line'), undefined, out)).toBe(false);
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
      parse(line(dyno, t, 200), app === '' ? undefined : headers({ app }), r);
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
