import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMsgpack, type MsgpackValue, MsgpackWriter } from '../../../src/sinks/redis/msgpack.js';

function write(w: MsgpackWriter, v: MsgpackValue): void {
  if (typeof v === 'number') w.number(v);
  else if (typeof v === 'string') w.string(v);
  else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const x of v) write(w, x);
  } else if (v !== null) {
    const keys = Object.keys(v);
    w.mapHeader(keys.length);
    for (const k of keys) {
      w.string(k);
      write(w, v[k]!);
    }
  }
}

function withoutNegativeZero(v: MsgpackValue): MsgpackValue {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNegativeZero(x)]));
  }
  return v;
}

describe('msgpack', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [65535, 'cdffff'],
    [65536, 'ce00010000'],
    [2 ** 40, 'cf0000010000000000'],
    [-1, 'd2ffffffff'],
    [1.5, 'cb3ff8000000000000'],
    ['H12', 'a3483132'],
  ])('encodes %j as the spec says (%s)', (value, hex) => {
    const w = new MsgpackWriter(2);
    write(w, value);
    expect(w.finish().toString('hex')).toBe(hex);
    expect(decodeMsgpack(Buffer.from(hex, 'hex'))).toBe(value);
  });

  it('round-trips arrays, maps, numbers and strings (and grows its buffer)', () => {
    const value = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: -(2 ** 31), max: -1 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ maxLength: 300 }),
        fc.array(tie('value'), { maxLength: 40 }),
        fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 20 }),
      ),
    })).value as fc.Arbitrary<MsgpackValue>;
    fc.assert(
      fc.property(value, (v) => {
        const w = new MsgpackWriter(8);
        write(w, v);
        // msgpack has one zero: -0 anywhere in the value comes back as 0
        expect(decodeMsgpack(w.finish())).toEqual(withoutNegativeZero(v));
      }),
    );
  });

  it('uints writes what number writes, value by value, whatever the values', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 2 ** 32 + 5 }),
            fc.integer({ min: 0, max: 300 }),
            fc.integer({ min: -5, max: -1 }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
          ),
          { maxLength: 300 },
        ),
        (values) => {
          const a = new MsgpackWriter(4);
          for (const v of values) a.number(v);
          const b = new MsgpackWriter(4).uints(values);
          expect(b.finish().toString('hex')).toBe(a.finish().toString('hex'));
        },
      ),
    );
  });

  it('reads what Lua cmsgpack writes: int8..int64, float32, str8, array16, map16', () => {
    expect(decodeMsgpack(Buffer.from('d0ff', 'hex'))).toBe(-1);
    expect(decodeMsgpack(Buffer.from('d1ff00', 'hex'))).toBe(-256);
    expect(decodeMsgpack(Buffer.from('d3ffffffffffffffff', 'hex'))).toBe(-1);
    expect(decodeMsgpack(Buffer.from('ca3fc00000', 'hex'))).toBe(1.5);
    expect(decodeMsgpack(Buffer.from('d903616263', 'hex'))).toBe('abc');
    expect(decodeMsgpack(Buffer.from('dc00020102', 'hex'))).toEqual([1, 2]);
    expect(decodeMsgpack(Buffer.from('de0001a17801', 'hex'))).toEqual({ x: 1 });
    expect(decodeMsgpack(Buffer.from('c0', 'hex'))).toBeNull();
  });

  it.each([
    ['truncated', 'cd01'],
    ['trailing bytes', '0101'],
    ['unsupported type', 'c4'],
    ['array shorter than its header', '93'],
  ])('rejects %s input', (_, hex) => {
    expect(() => decodeMsgpack(Buffer.from(hex, 'hex'))).toThrow(/msgpack/);
  });
});

describe('decodeMsgpack maps', () => {
  it('keeps a "__proto__" key as data instead of replacing the prototype', () => {
    const w = new MsgpackWriter(8);
    w.mapHeader(2).string('__proto__').mapHeader(1).string('polluted').number(1).string('503').number(4);
    const out = decodeMsgpack(w.finish()) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['503', '__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: number }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 1 });
  });
});
