import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFramingStats, iterateFrames, scanFrames } from '../../src/logplex/logplex-framing.js';
import { formatLogplexBody, formatSyslogFrame } from '../../src/logplex/syslog-frame-format.js';
import { L10_LINE, SAMPLE_FRAMES, sampleBody } from './samples.js';

function frames(body: Buffer | string) {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const out: string[] = [];
  const stats = scanFrames(buf, (s, e) => out.push(buf.toString('utf8', s, e)));
  return { out, stats };
}

describe('scanFrames', () => {
  it('reads the real sample frames by their counts (both counts are right: no repair)', () => {
    const { out, stats } = frames(sampleBody());
    expect(out).toEqual(SAMPLE_FRAMES.map((f) => f.slice(f.indexOf(' ') + 1)));
    expect(stats).toEqual({ frames: 2, repaired: 0, garbageBytes: 0 });
  });

  it('gives offsets into the caller buffer, without the trailing newline', () => {
    const body = sampleBody();
    const offsets: Array<[number, number]> = [];
    scanFrames(body, (s, e) => offsets.push([s, e]));
    expect(offsets[0]).toEqual([4, 4 + 241]);
    expect(body[offsets[0]![1]]).toBe(0x0a);
  });

  it('repairs a count that is too short or too long at the next frame boundary', () => {
    const [a, b] = SAMPLE_FRAMES.map((f) => f.slice(f.indexOf(' ') + 1));
    for (const wrong of [100, 241, 243, 300, 600]) {
      const { out, stats } = frames(`${wrong} ${a}\n${formatSyslogFrame(b!)}`);
      expect(out).toEqual([a, b]);
      expect(stats).toEqual({ frames: 2, repaired: 1, garbageBytes: 0 });
    }
  });

  it('repairs a count that overruns the end of the body', () => {
    const { out, stats } = frames(`9999 ${L10_LINE}\n`);
    expect(out).toEqual([L10_LINE]);
    expect(stats.repaired).toBe(1);
  });

  it('counts bytes, not characters: multi-byte UTF-8 paths', () => {
    const line = '<158>1 2020-01-08T22:33:57Z host heroku router - path="/caf\u00e9/\u{1F600}" host=a.b';
    const body = formatLogplexBody([line, line]);
    expect(body.startsWith(`${Buffer.byteLength(line) + 1} `)).toBe(true);
    const { out, stats } = frames(body);
    expect(out).toEqual([line, line]);
    expect(stats.repaired).toBe(0);
  });

  it('keeps an uncounted syslog line as a repaired frame and skips garbage', () => {
    const { out, stats } = frames(`garbage here\n${L10_LINE}\n${formatSyslogFrame(L10_LINE)}`);
    expect(out).toEqual([L10_LINE, L10_LINE]);
    expect(stats).toEqual({ frames: 2, repaired: 1, garbageBytes: 13 });
  });

  it('handles empty and degenerate bodies', () => {
    expect(frames('').stats).toEqual({ frames: 0, repaired: 0, garbageBytes: 0 });
    expect(frames('\n').stats).toEqual({ frames: 0, repaired: 0, garbageBytes: 1 });
    expect(frames('12').stats.garbageBytes).toBe(2);
    expect(frames('0 <').out).toEqual(['<']);
  });

  it('iterateFrames yields the same frames and returns the stats', () => {
    const it = iterateFrames(sampleBody());
    const seen: Array<{ start: number; end: number }> = [];
    let r = it.next();
    while (!r.done) {
      seen.push(r.value);
      r = it.next();
    }
    expect(seen).toHaveLength(2);
    expect(r.value.frames).toBe(2);
  });

  it('never throws and stays within the buffer on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const buf = Buffer.from(bytes);
        let covered = 0;
        const stats = scanFrames(buf, (s, e) => {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(e).toBeGreaterThanOrEqual(s);
          expect(e).toBeLessThanOrEqual(buf.length);
          covered += e - s;
        });
        expect(covered + stats.garbageBytes).toBeLessThanOrEqual(buf.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on bodies built from frame-like pieces', () => {
    const piece = fc.oneof(
      fc.constantFrom('<158>1 ', '\n', ' ', '12 ', '0 ', '999999999 <', 'host=a ', '<', '"'),
      fc.string({ maxLength: 20 }),
      fc.nat({ max: 400 }).map((n) => `${n} `),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const buf = Buffer.from(pieces.join(''));
        const stats = scanFrames(buf, () => {}, createFramingStats());
        expect(stats.frames).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('on well-formed bodies, the frames are exactly the lines sent (so frames = Msg-Count)', () => {
    const line = fc
      .string({ unit: 'grapheme', minLength: 0, maxLength: 80 })
      .map((s) => `<158>1 2020-01-08T22:33:57Z host heroku router - ${s.replaceAll('\n', ' ')}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const { out, stats } = frames(formatLogplexBody(lines));
        expect(stats.frames).toBe(lines.length);
        expect(stats.repaired).toBe(0);
        expect(stats.garbageBytes).toBe(0);
        expect(out).toEqual(lines);
      }),
      { numRuns: 500 },
    );
  });
});
