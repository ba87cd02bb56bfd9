import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysFromCivil, formatRfc3339, parseRfc3339 } from '../../src/logplex/rfc3339-timestamp.js';

const parse = (s: string) => parseRfc3339(Buffer.from(s), 0, Buffer.byteLength(s));

describe('parseRfc3339', () => {
  it.each([
    ['2016-06-20T21:56:57.107495+00:00', Date.UTC(2016, 5, 20, 21, 56, 57, 107)],
    ['2020-01-08T22:33:57.353034+00:00', Date.UTC(2020, 0, 8, 22, 33, 57, 353)],
    ['2016-06-20T21:56:57+00:00', Date.UTC(2016, 5, 20, 21, 56, 57)],
    ['2016-06-20T21:56:57Z', Date.UTC(2016, 5, 20, 21, 56, 57)],
    ['2016-06-20T21:56:57.5Z', Date.UTC(2016, 5, 20, 21, 56, 57, 500)],
    ['2016-06-20T23:56:57.999999999+02:00', Date.UTC(2016, 5, 20, 21, 56, 57, 999)],
    ['2016-06-20T16:26:57-05:30', Date.UTC(2016, 5, 20, 21, 56, 57)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['1970-01-01T00:00:00Z', 0],
  ])('%s', (s, ms) => {
    expect(parse(s)).toBe(ms);
  });

  it.each([
    '',
    '-',
    '2016-06-20',
    '2016-06-20 21:56:57Z',
    '2016-13-20T21:56:57Z',
    '2023-02-29T00:00:00Z',
    '2016-06-31T00:00:00Z',
    '2016-06-20T24:00:00Z',
    '2016-06-20T21:56:57',
    '2016-06-20T21:56:57.Z',
    '2016-06-20T21:56:57+0000',
    '2016-06-20T21:56:57+00:00x',
    '2016-06-20T21:56:57+24:00',
  ])('rejects %j with NaN', (s) => {
    expect(parse(s)).toBeNaN();
  });

  it('agrees with Date.parse on millisecond timestamps', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (d) => {
          const s = d.toISOString();
          expect(parse(s)).toBe(Date.parse(s));
        },
      ),
    );
  });

  it('format-then-parse gives the epoch milliseconds back, in Heroku form', () => {
    expect(formatRfc3339(Date.UTC(2016, 5, 20, 21, 56, 57, 107), 495)).toBe(
      '2016-06-20T21:56:57.107495+00:00',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 253402300799999 }),
        fc.integer({ min: 0, max: 999 }),
        (ms, us) => {
          expect(parse(formatRfc3339(ms, us))).toBe(ms);
        },
      ),
    );
  });

  it('daysFromCivil matches Date.UTC', () => {
    const day = fc.integer({ min: 1, max: 28 });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 1, max: 12 }), day, (y, m, d) => {
        expect(daysFromCivil(y, m, d) * 86_400_000).toBe(Date.UTC(y, m - 1, d));
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (b) => {
        const v = parseRfc3339(b, 0, b.length);
        expect(typeof v).toBe('number');
      }),
    );
  });
});
