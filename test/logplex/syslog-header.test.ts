import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSyslogHeader,
  parseSyslogHeader,
  syslogHeaderFields,
} from '../../src/logplex/syslog-header.js';
import { L10_LINE, SAMPLE_FRAMES } from './samples.js';

function parse(line: string) {
  const buf = Buffer.from(line);
  const h = createSyslogHeader();
  const ok = parseSyslogHeader(buf, 0, buf.length, h);
  return {
    ok,
    h,
    buf,
    fields: ok ? syslogHeaderFields(buf, h) : null,
    msg: buf.toString('utf8', h.msgStart),
  };
}

describe('parseSyslogHeader', () => {
  it('reads the real sample router lines', () => {
    const line = SAMPLE_FRAMES[0].slice(4);
    const { ok, h, fields, msg } = parse(line);
    expect(ok).toBe(true);
    expect(h.pri).toBe(158);
    expect(h.version).toBe(1);
    expect(h.timestampMs).toBe(Date.UTC(2016, 5, 20, 21, 56, 57, 107));
    expect(fields).toEqual({ host: 'host', app: 'heroku', procid: 'router', msgid: '-' });
    expect(msg.startsWith('at=info method=GET path="/" host=demodayex.herokuapp.com')).toBe(true);
  });

  it('reads the L10 line of logplex', () => {
    const { ok, h, fields, msg } = parse(L10_LINE);
    expect(ok).toBe(true);
    expect(h.pri).toBe(172);
    expect(fields?.procid).toBe('logplex');
    expect(msg.startsWith('Error L10 (output buffer overflow): 523')).toBe(true);
  });

  it('accepts a NILVALUE timestamp (NaN) and an empty message', () => {
    expect(parse('<13>1 - host app web.1 - hello').h.timestampMs).toBeNaN();
    const empty = parse('<13>1 2020-01-08T22:33:57Z host app web.1 -');
    expect(empty.ok).toBe(true);
    expect(empty.h.msgStart).toBe(empty.buf.length);
  });

  it.each([
    '',
    '<158>',
    '158>1 2020-01-08T22:33:57Z host heroku router - x',
    '<192>1 2020-01-08T22:33:57Z host heroku router - x',
    '<158>0 2020-01-08T22:33:57Z host heroku router - x',
    '<158>1 2020-01-08 host heroku router - x',
    '<158>1 2020-01-08T22:33:57Z host heroku',
    '<158>1 2020-01-08T22:33:57Z  heroku router - x',
    '<1a8>1 2020-01-08T22:33:57Z host heroku router - x',
  ])('rejects %j', (line) => {
    expect(parse(line).ok).toBe(false);
  });

  it('never throws and keeps offsets inside the line on arbitrary bytes', () => {
    const h = createSyslogHeader();
    const prefix = fc.constantFrom('', '<158>1 ', '<158>1 2020-01-08T22:33:57Z ', '<158>1 - host heroku ');
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 200 }), (p, bytes) => {
        const buf = Buffer.concat([Buffer.from(p), Buffer.from(bytes)]);
        if (parseSyslogHeader(buf, 0, buf.length, h)) {
          expect(h.msgStart).toBeLessThanOrEqual(buf.length);
          expect(h.hostEnd).toBeLessThan(h.appStart);
          expect(h.procEnd).toBeLessThanOrEqual(h.msgidStart);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
