import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPlatformEvent, PlatformKind } from '../../src/logplex/platform-event.js';
import { parsePlatformEvent, parsePlatformLine } from '../../src/logplex/platform-line.js';
import {
  DYNO_ERRORS,
  type DynoErrorCode,
  formatDynoError,
  formatLoadSample,
  formatMemorySample,
  formatStateChange,
} from '../../src/logplex/platform-line-format.js';
import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import { L10_LINE, RUNTIME_METRICS_MESSAGE } from './samples.js';

const TS = '2026-01-01T00:00:20.123456+00:00';
const TS_MS = Date.UTC(2026, 0, 1, 0, 0, 20, 123);
const platform = (procid: string, message: string) => `<45>1 ${TS} host heroku ${procid} - ${message}`;

const MEMORY_MESSAGE =
  'source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=180.43MB ' +
  'sample#memory_rss=170.11MB sample#memory_cache=10.32MB sample#memory_swap=0.00MB ' +
  'sample#memory_pgpgin=46345pages sample#memory_pgpgout=2148pages sample#memory_quota=512.00MB';

describe('parsePlatformEvent: exact lines', () => {
  it('reads a log-runtime-metrics memory sample', () => {
    expect(parsePlatformLine(platform('web.1', MEMORY_MESSAGE))).toMatchObject({
      timestampMs: TS_MS,
      kind: PlatformKind.Metrics,
      dyno: 'web.1',
      processType: 'web',
      memorySeen: true,
      loadSeen: false,
      memoryTotalMb: 180.43,
      memoryRssMb: 170.11,
      memoryCacheMb: 10.32,
      memorySwapMb: 0,
      memoryPgpgin: 46345,
      memoryPgpgout: 2148,
      memoryQuotaMb: 512,
      code: '',
    });
  });

  it('reads the load sample of the domain notes (and leaves memory NaN)', () => {
    const ev = parsePlatformLine(platform('web.1', RUNTIME_METRICS_MESSAGE))!;
    expect(ev).toMatchObject({ kind: PlatformKind.Metrics, loadSeen: true, memorySeen: false });
    expect([ev.load1m, ev.load5m, ev.load15m]).toEqual([2.46, 1.06, 0.99]);
    expect(ev.memoryTotalMb).toBeNaN();
  });

  it('names the dyno after source=, not the PROCID, and converts memory units', () => {
    const ev = parsePlatformLine(
      platform(
        'worker.12',
        'source=worker.3 sample#memory_total=2GB sample#memory_rss=512kB sample#memory_swap=1048576B sample#memory_cache=7 sample#memory_quota=1TB',
      ),
    )!;
    expect([ev.dyno, ev.processType]).toEqual(['worker.3', 'worker']);
    expect([ev.memoryTotalMb, ev.memoryRssMb, ev.memorySwapMb, ev.memoryCacheMb]).toEqual([2048, 0.5, 1, 7]);
    expect(ev.memoryQuotaMb).toBeNaN();
  });

  it.each([
    ['Error R14 (Memory quota exceeded)', 'R14'],
    ['Error R15 (Memory quota vastly exceeded)', 'R15'],
    ['Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch', 'R10'],
    ['Error R12 (Exit timeout) -> At least one process failed to exit within 30 seconds of SIGTERM', 'R12'],
  ])('reads %s', (message, code) => {
    expect(parsePlatformLine(`<45>1 ${TS} host heroku web.2 - ${message}`)).toMatchObject({
      kind: PlatformKind.Error,
      code,
      dyno: 'web.2',
      processType: 'web',
    });
  });

  it('reads the L10 line of logplex itself as an error of the `logplex` process', () => {
    expect(parsePlatformLine(L10_LINE)).toMatchObject({
      kind: PlatformKind.Error,
      code: 'L10',
      dyno: 'logplex',
      processType: 'logplex',
      timestampMs: Date.UTC(2016, 5, 20, 21, 56, 57),
    });
  });

  it('reads state changes and exits', () => {
    expect(parsePlatformLine(platform('web.1', 'State changed from up to starting'))).toMatchObject({
      kind: PlatformKind.StateChange,
      stateFrom: 'up',
      stateTo: 'starting',
    });
    expect(parsePlatformLine(platform('run.4821', 'State changed from starting to crashed'))).toMatchObject({
      kind: PlatformKind.StateChange,
      stateTo: 'crashed',
      processType: 'run',
    });
    expect(parsePlatformLine(platform('web.1', 'Process exited with status 143'))).toMatchObject({
      kind: PlatformKind.Exit,
      exitStatus: 143,
    });
  });

  it.each([
    'Restarting',
    'Starting process with command `bundle exec puma -C config/puma.rb`',
    'Stopping all processes with SIGTERM',
    'Error r14 (lowercase)',
    'Error R1234 (too long)',
    'Error R14x',
    'State changed from Up to starting',
    'State changed from up to',
    'Process exited with status 1234',
    'source=web.1 count#requests=3',
  ])('parses %j as Other', (message) => {
    expect(parsePlatformLine(platform('web.1', message))).toMatchObject({
      kind: PlatformKind.Other,
      code: '',
    });
  });

  it('does not trust the app output: an app printing "Error R14" is Other', () => {
    expect(
      parsePlatformLine(`<190>1 ${TS} host app web.1 - Error R14 (Memory quota exceeded)`),
    ).toMatchObject({
      kind: PlatformKind.Other,
      dyno: 'web.1',
    });
  });

  it('rejects lines without a syslog header or timestamp', () => {
    expect(parsePlatformLine('Error R14 (Memory quota exceeded)')).toBeNull();
    expect(parsePlatformLine('<45>1 - host heroku web.1 - Error R14 (Memory quota exceeded)')).toBeNull();
  });

  it('clears the fields of the previous line when an event is reused', () => {
    const ev = createPlatformEvent();
    const a = Buffer.from(platform('web.1', MEMORY_MESSAGE));
    const b = Buffer.from(platform('web.1', 'Error R14 (Memory quota exceeded)'));
    expect(parsePlatformEvent(a, 0, a.length, ev)).toBe(true);
    expect(parsePlatformEvent(b, 0, b.length, ev)).toBe(true);
    expect(ev.memorySeen).toBe(false);
    expect(ev.memoryTotalMb).toBeNaN();
    expect(ev.code).toBe('R14');
  });
});

describe('parsePlatformEvent: properties', () => {
  it('never throws on any bytes, nor on a valid header followed by any bytes', () => {
    const ev = createPlatformEvent();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
        const buf = withHeader
          ? Buffer.concat([Buffer.from(platform('web.1', '')), bytes])
          : Buffer.from(bytes);
        const ok = parsePlatformEvent(buf, 0, buf.length, ev);
        if (withHeader) expect(ok).toBe(true);
        expect(ev.dyno.length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 500 },
    );
  });

  const mb = fc.integer({ min: 0, max: 10_000_000 }).map((c) => c / 100);
  const dyno = fc.tuple(fc.constantFrom('web', 'worker', 'clock', 'run'), fc.integer({ min: 1, max: 9999 }));

  it('round-trips memory samples', () => {
    fc.assert(
      fc.property(
        dyno,
        mb,
        mb,
        mb,
        mb,
        fc.nat(),
        fc.nat(),
        mb,
        (d, total, rss, cache, swap, pin, pout, quota) => {
          const source = `${d[0]}.${d[1]}`;
          const message = formatMemorySample({
            source,
            dynoId: 'heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456',
            totalMb: total,
            rssMb: rss,
            cacheMb: cache,
            swapMb: swap,
            pgpgin: pin,
            pgpgout: pout,
            quotaMb: quota,
          });
          expect(parsePlatformLine(platform(source, message))).toMatchObject({
            kind: PlatformKind.Metrics,
            dyno: source,
            processType: d[0],
            memoryTotalMb: total,
            memoryRssMb: rss,
            memoryCacheMb: cache,
            memorySwapMb: swap,
            memoryPgpgin: pin,
            memoryPgpgout: pout,
            memoryQuotaMb: quota,
          });
        },
      ),
    );
  });

  it('round-trips load samples, errors and state changes through whole syslog lines', () => {
    const codes = Object.keys(DYNO_ERRORS) as DynoErrorCode[];
    const state = fc.constantFrom('up', 'starting', 'down', 'crashed', 'idle');
    fc.assert(
      fc.property(
        dyno,
        mb,
        mb,
        mb,
        fc.constantFrom(...codes),
        state,
        state,
        fc.integer({ min: 1e12, max: 2e12 }),
        (d, l1, l5, l15, code, from, to, ts) => {
          const source = `${d[0]}.${d[1]}`;
          const line = (message: string) =>
            formatSyslogLine({ pri: 45, timestampMs: ts, app: 'heroku', procid: source, message });
          const load = parsePlatformLine(
            line(formatLoadSample({ source, dynoId: 'heroku.1.x', load1m: l1, load5m: l5, load15m: l15 })),
          );
          expect(load).toMatchObject({
            timestampMs: ts,
            load1m: l1,
            load5m: l5,
            load15m: l15,
            loadSeen: true,
          });
          expect(parsePlatformLine(line(formatDynoError(code, 'detail')))).toMatchObject({
            kind: PlatformKind.Error,
            code,
          });
          expect(parsePlatformLine(line(formatStateChange(from, to)))).toMatchObject({
            kind: PlatformKind.StateChange,
            stateFrom: from,
            stateTo: to,
          });
        },
      ),
    );
  });
});
