import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createL2metCursor,
  nextMeasurement,
  parseL2metLine,
  parseNumber,
} from '../../src/logplex/l2met-scanner.js';
import { RUNTIME_METRICS_MESSAGE } from './samples.js';

describe('parseL2metLine', () => {
  it('reads the load samples of log-runtime-metrics, skipping source= and dyno=', () => {
    expect(parseL2metLine(RUNTIME_METRICS_MESSAGE)).toEqual({
      measurements: [
        { type: 'sample', name: 'load_avg_1m', value: 2.46, unit: '' },
        { type: 'sample', name: 'load_avg_5m', value: 1.06, unit: '' },
        { type: 'sample', name: 'load_avg_15m', value: 0.99, unit: '' },
      ],
      invalid: 0,
    });
  });

  it('takes the unit from what follows the number', () => {
    const { measurements } = parseL2metLine(
      'sample#memory_total=180.43MB sample#memory_pgpgin=3467pages measure#db.latency=12ms measure#render=0.25s',
    );
    expect(measurements.map((m) => [m.name, m.value, m.unit])).toEqual([
      ['memory_total', 180.43, 'MB'],
      ['memory_pgpgin', 3467, 'pages'],
      ['db.latency', 12, 'ms'],
      ['render', 0.25, 's'],
    ]);
  });

  it('counts 1 for a count without a value or with an empty one', () => {
    const { measurements, invalid } = parseL2metLine(
      'count#user.signup count#user.login= count#orders=3 count#=4',
    );
    expect(measurements.map((m) => [m.type, m.name, m.value])).toEqual([
      ['count', 'user.signup', 1],
      ['count', 'user.login', 1],
      ['count', 'orders', 3],
    ]);
    expect(invalid).toBe(1);
  });

  it('reports samples and measures without a number as invalid, and ignores other prefixes', () => {
    const r = parseL2metLine('sample#a= measure#b=abc measure#c=-1.5ms histogram#d=1 source=web.1 Error');
    expect(r.measurements).toEqual([{ type: 'measure', name: 'c', value: -1.5, unit: 'ms' }]);
    expect(r.invalid).toBe(2);
  });
});

describe('parseNumber', () => {
  it('equals Number() on the digits and returns where the unit starts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 6 }),
        fc.boolean(),
        fc.constantFrom('', 'MB', 'ms', 'pages', '.', 'x1'),
        (int, scale, negative, unit) => {
          const digits = String(int).padStart(scale + 1, '0');
          const text =
            (negative ? '-' : '') +
            (scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
          const buf = Buffer.from(text + unit);
          const out = { value: 0 };
          expect(parseNumber(buf, 0, buf.length, out)).toBe(text.length);
          expect(out.value).toBe(Number(text));
        },
      ),
    );
  });

  it('reads more than 15 digits through Number()', () => {
    const buf = Buffer.from('12345678901234567.5kB');
    const out = { value: 0 };
    expect(parseNumber(buf, 0, buf.length, out)).toBe(buf.length - 2);
    expect(out.value).toBe(Number('12345678901234567.5'));
  });
});

describe('nextMeasurement', () => {
  it('never throws and stays inside the line on any bytes', () => {
    const cur = createL2metCursor();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        let pos = 0;
        let n = 0;
        while (nextMeasurement(buf, pos, buf.length, cur)) {
          expect(cur.next).toBeGreaterThan(pos);
          expect(cur.unitEnd).toBeLessThanOrEqual(buf.length);
          expect(cur.nameStart).toBeLessThanOrEqual(cur.nameEnd);
          pos = cur.next;
          n++;
        }
        expect(n).toBeLessThanOrEqual(buf.length);
      }),
    );
  });

  it('round-trips formatted measurements', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_.]{0,20}$/);
    const item = fc.record({
      type: fc.constantFrom('count', 'sample', 'measure'),
      name,
      cents: fc.integer({ min: 0, max: 10_000_000 }),
      unit: fc.constantFrom('', 'MB', 'ms', 'pages', 'req'),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        const line = items.map((i) => `${i.type}#${i.name}=${(i.cents / 100).toFixed(2)}${i.unit}`).join(' ');
        expect(parseL2metLine(line)).toEqual({
          measurements: items.map((i) => ({
            type: i.type,
            name: i.name,
            value: Number((i.cents / 100).toFixed(2)),
            unit: i.unit,
          })),
          invalid: 0,
        });
      }),
    );
  });
});
