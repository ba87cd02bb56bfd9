import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import {
  findRouterHost,
  parseMs,
  parseRouterEvent,
  parseRouterLine,
  scanRouterEvent,
} from '../../src/logplex/router-line.js';
import { formatRouterLine } from '../../src/logplex/router-line-format.js';
import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import { L10_LINE, routerLine, SAMPLE_FRAMES, SAMPLE_MESSAGES } from './samples.js';

/** parseRouterEvent's fields as strings and numbers (the offsets are scanRouterEvent's business) */
function event(line: string) {
  const buf = Buffer.from(line);
  const out = createRouterEvent();
  const ok = parseRouterEvent(buf, 0, buf.length, out);
  const { src, appStart, appEnd, pathStart, pathEnd, ...fields } = out;
  if (ok) expect(src).toBeNull();
  return { ok, out: fields };
}

describe('parseRouterLine', () => {
  it('reads every field of a real info line, unknown keys included', () => {
    const line = SAMPLE_FRAMES[1].slice(4);
    const msg = line.slice(line.indexOf(' - ') + 3);
    expect({ ...parseRouterLine(msg) }).toEqual({
      at: 'info',
      method: 'GET',
      path: '/cart_link',
      host: 'lumberjack-store.timber.io',
      request_id: '05726858-c44e-4f94-9a20-37df73be9006',
      fwd: '73.75.38.87',
      dyno: 'web.1',
      connect: '1ms',
      service: '22ms',
      status: '304',
      bytes: '656',
      protocol: 'http',
    });
  });

  it('reads the H10 line with empty values and an unquoted fwd', () => {
    const f = parseRouterLine(SAMPLE_MESSAGES[0]);
    expect(f.code).toBe('H10');
    expect(f.desc).toBe('App crashed');
    expect(f.fwd).toBe('17.17.17.17');
    expect([f.dyno, f.connect, f.service, f.bytes]).toEqual(['', '', '', '']);
    expect(f.status).toBe('503');
    expect(parseMs(f.service)).toBe(-1);
  });

  it('reads the H12 line: quoted path with ?, = and &', () => {
    const f = parseRouterLine(SAMPLE_MESSAGES[1]);
    expect(f.path).toBe('/api/search-recipes?cuisine=african&diet=&intolerances=');
    expect(f.desc).toBe('Request timeout');
    expect(parseMs(f.service)).toBe(30000);
  });

  it('keeps spaces and quotes inside quoted values; unterminated quotes run to the end', () => {
    expect(parseRouterLine('path="/a b" x=1').path).toBe('/a b');
    expect(parseRouterLine('path="/a"b" x=1').path).toBe('/a"b');
    expect(parseRouterLine('desc="oops').desc).toBe('oops');
    expect(parseRouterLine('Error L10 (output buffer overflow): 5').L10).toBeUndefined();
  });

  it('reads a range of a Buffer', () => {
    const buf = Buffer.from(`xx ${SAMPLE_MESSAGES[0]} yy=1`);
    expect(parseRouterLine(buf, 3, 3 + SAMPLE_MESSAGES[0].length).yy).toBeUndefined();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(typeof parseRouterLine(b)).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseRouterEvent', () => {
  it('fills the event from the real sample lines', () => {
    const { ok, out } = event(SAMPLE_FRAMES[0].slice(4));
    expect(ok).toBe(true);
    expect(out).toEqual({
      timestampMs: Date.UTC(2016, 5, 20, 21, 56, 57, 107),
      app: 'demodayex.herokuapp.com',
      method: 'GET',
      path: '/',
      status: 200,
      serviceMs: 6,
      connectMs: 0,
      bytes: 1548,
      code: '',
    });
    const second = event(SAMPLE_FRAMES[1].slice(4));
    expect(second.ok).toBe(true);
    expect(second.out.status).toBe(304);
    expect(second.out.serviceMs).toBe(22);
  });

  it('error lines: empty numbers are -1, the code is kept', () => {
    const h10 = event(routerLine(SAMPLE_MESSAGES[0]));
    expect(h10.ok).toBe(true);
    expect(h10.out).toMatchObject({ code: 'H10', status: 503, serviceMs: -1, connectMs: -1, bytes: -1 });
    const h12 = event(routerLine(SAMPLE_MESSAGES[1]));
    expect(h12.out).toMatchObject({ code: 'H12', status: 503, serviceMs: 30000, connectMs: 1, bytes: 0 });
    expect(h12.out.path).toBe('/api/search-recipes?cuisine=african&diet=&intolerances=');
  });

  it('resets fields a previous line set', () => {
    const out = createRouterEvent();
    const a = Buffer.from(routerLine(SAMPLE_MESSAGES[0]));
    const b = Buffer.from(SAMPLE_FRAMES[0].slice(4));
    parseRouterEvent(a, 0, a.length, out);
    parseRouterEvent(b, 0, b.length, out);
    expect(out.code).toBe('');
  });

  it('rejects what is not a router line or lacks host, method or path', () => {
    expect(event(L10_LINE).ok).toBe(false);
    expect(event('<190>1 2020-01-08T22:33:57Z host app router - at=info method=GET path=/ host=a').ok).toBe(
      false,
    );
    expect(event(routerLine('at=info method=GET path=/')).ok).toBe(false);
    expect(event(routerLine('at=info method=GET host= path=/')).ok).toBe(false);
    expect(event(routerLine('at=info path=/ host=a')).ok).toBe(false);
    expect(event('<158>1 - host heroku router - at=info method=GET path=/ host=a').ok).toBe(false);
    expect(event(routerLine('at=info method=GET path=/ host=a')).ok).toBe(true);
  });

  it('reads a line inside a larger buffer by offsets', () => {
    const line = SAMPLE_FRAMES[0].slice(4);
    const buf = Buffer.from(`junk${line}junk`);
    const out = createRouterEvent();
    expect(parseRouterEvent(buf, 4, 4 + Buffer.byteLength(line), out)).toBe(true);
    expect(out.bytes).toBe(1548);
  });

  it('never throws on arbitrary bytes after a router header', () => {
    const out = createRouterEvent();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const buf = Buffer.concat([Buffer.from(routerLine('')), Buffer.from(b)]);
        expect(typeof parseRouterEvent(buf, 0, buf.length, out)).toBe('boolean');
        expect(typeof parseRouterEvent(Buffer.from(b), 0, b.length, out)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('findRouterHost', () => {
  it('finds the host= value (not the syslog HOSTNAME)', () => {
    const buf = Buffer.from(SAMPLE_MESSAGES[1]);
    const r = new Int32Array(2);
    expect(findRouterHost(buf, 0, buf.length, r)).toBe(true);
    expect(buf.toString('utf8', r[0], r[1])).toBe('infinite-bayou-90165.herokuapp.com');
    expect(findRouterHost(Buffer.from('host= x=1'), 0, 9, r)).toBe(false);
  });
});

describe('formatRouterLine', () => {
  const key = fc.stringMatching(/^[a-z_#][a-z0-9_#.]{0,11}$/);
  const value = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/["\r\n]/.test(s));

  it('writes Heroku form: path, fwd and desc quoted, empty values bare', () => {
    expect(
      formatRouterLine({
        at: 'error',
        code: 'H10',
        desc: 'App crashed',
        path: '/',
        dyno: '',
        connect: '',
        status: 503,
      }),
    ).toBe('at=error code=H10 desc="App crashed" path="/" dyno= connect= status=503');
  });

  it('format-then-parse gives the fields back', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 12 }), (fields) => {
        expect({ ...parseRouterLine(formatRouterLine(fields)) }).toEqual(fields);
      }),
      { numRuns: 1000 },
    );
  });

  it('format-then-parse of a whole syslog router line gives the event back', () => {
    const ev = fc.record({
      timestampMs: fc.integer({ min: 0, max: 253402300799999 }),
      app: fc.stringMatching(/^[a-z0-9-]{1,20}\.herokuapp\.com$/),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'PURGE'),
      path: value.map((s) => `/${s}`),
      status: fc.integer({ min: 100, max: 599 }),
      serviceMs: fc.integer({ min: -1, max: 30000 }),
      connectMs: fc.integer({ min: -1, max: 5000 }),
      bytes: fc.integer({ min: -1, max: 10_000_000 }),
      code: fc.constantFrom('', 'H10', 'H12', 'H27'),
    });
    fc.assert(
      fc.property(ev, (e) => {
        const msg = formatRouterLine({
          at: e.code ? 'error' : 'info',
          ...(e.code ? { code: e.code, desc: 'Some error' } : {}),
          method: e.method,
          path: e.path,
          host: e.app,
          fwd: '1.2.3.4',
          dyno: 'web.1',
          connect: e.connectMs < 0 ? '' : `${e.connectMs}ms`,
          service: e.serviceMs < 0 ? '' : `${e.serviceMs}ms`,
          status: e.status,
          bytes: e.bytes < 0 ? '' : e.bytes,
        });
        const line = formatSyslogLine({
          timestampMs: e.timestampMs,
          app: 'heroku',
          procid: 'router',
          message: msg,
        });
        const got = event(line);
        expect(got.ok).toBe(true);
        expect(got.out).toEqual(e);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('scanRouterEvent', () => {
  it('leaves host and path as offsets that decode to what parseRouterEvent gives, inside a bigger buffer', () => {
    const word = fc.stringMatching(/^[a-z0-9./_é-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.record({
          app: word,
          path: word.map((w) => `/${w}`),
          query: fc.constantFrom('', '?a=1', '?q=x y'),
          code: fc.constantFrom('', 'H12', 'R14', 'L10', 'h12', 'H1234', 'X'),
          pad: fc.nat(20),
        }),
        (e) => {
          const msg = formatRouterLine({
            at: e.code ? 'error' : 'info',
            ...(e.code ? { code: e.code } : {}),
            method: 'POST',
            path: e.path + e.query,
            host: e.app,
            status: 503,
          });
          const line = formatSyslogLine({ timestampMs: 1000, app: 'heroku', procid: 'router', message: msg });
          const buf = Buffer.concat([Buffer.alloc(e.pad, 0x78), Buffer.from(line), Buffer.from(' tail')]);
          const end = e.pad + Buffer.byteLength(line);
          const scanned = createRouterEvent();
          expect(scanRouterEvent(buf, e.pad, end, scanned)).toBe(true);
          const parsed = createRouterEvent();
          expect(parseRouterEvent(buf, e.pad, end, parsed)).toBe(true);
          expect(scanned.src).toBe(buf);
          expect(scanned.app).toBe('');
          expect(scanned.path).toBe('');
          expect(buf.toString('utf8', scanned.appStart, scanned.appEnd)).toBe(parsed.app);
          expect(buf.toString('utf8', scanned.pathStart, scanned.pathEnd)).toBe(parsed.path);
          expect(parsed.path).toBe(e.path + e.query);
          // codes: interned when H12-shaped, '?' otherwise (what a route records)
          const shaped = /^[A-Z][0-9]{1,3}$/.test(e.code);
          expect(scanned.code).toBe(e.code === '' ? '' : shaped ? e.code : '?');
          expect(parsed.code).toBe(e.code);
          expect(scanned.method).toBe(parsed.method);
          expect(scanned.status).toBe(parsed.status);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('percent-encodes what the format cannot carry, and refuses bad keys', () => {
    expect(formatRouterLine({ path: '/a"b\nc' })).toBe('path="/a%22b%0Ac"');
    expect(() => formatRouterLine({ 'a b': 1 })).toThrowError(
      expect.objectContaining({ code: 'RM_ERR_FORMAT' }),
    );
  });
});
