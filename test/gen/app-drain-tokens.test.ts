import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { appDrainToken, groupByAppToken } from '../../src/gen/app-drain-tokens.js';
import { runGen } from '../../src/gen/run-gen.js';
import { scanFrames } from '../../src/logplex/logplex-framing.js';
import { findRouterHost } from '../../src/logplex/router-line.js';
import {
  createSyslogHeader,
  parseSyslogHeader,
  syslogHeaderFields,
} from '../../src/logplex/syslog-header.js';

const SHARED = 'd.00000000-0000-4000-8000-000000000000';

describe('appDrainToken', () => {
  it('is a logplex drain token, the same for the same host and different across hosts', () => {
    const a = appDrainToken('quiet-reef-12345.herokuapp.com');
    expect(a).toMatch(/^d\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(appDrainToken('quiet-reef-12345.herokuapp.com')).toBe(a);
    expect(appDrainToken('quiet-reef-12346.herokuapp.com')).not.toBe(a);
  });

  it('groups lines by their app token, keeping their order; lines without an app keep the shared token', () => {
    const groups = groupByAppToken(
      [
        { line: '1', app: 'a.example.com' },
        { line: '2', app: '' },
        { line: '3', app: 'b.example.com' },
        { line: '4', app: 'a.example.com' },
      ],
      SHARED,
    );
    expect([...groups]).toEqual([
      [appDrainToken('a.example.com'), ['1', '4']],
      [SHARED, ['2']],
      [appDrainToken('b.example.com'), ['3']],
    ]);
  });
});

describe('runGen with tokenPerApp', () => {
  let server: http.Server | null = null;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('posts every app in batches of its own, under its token (a plain HTTP server stands in for the drain)', async () => {
    const seen: Array<{ token: string; hosts: Set<string>; dynoLines: number; lines: number }> = [];
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = createSyslogHeader();
        const host = new Int32Array(2);
        const entry = {
          token: String(req.headers['logplex-drain-token']),
          hosts: new Set<string>(),
          dynoLines: 0,
          lines: 0,
        };
        scanFrames(body, (start, end) => {
          entry.lines++;
          if (!parseSyslogHeader(body, start, end, header)) return;
          const { app, procid } = syslogHeaderFields(body, header);
          if (app !== 'heroku') return;
          if (procid === 'router' && findRouterHost(body, header.msgStart, end, host)) {
            entry.hosts.add(body.toString('latin1', host[0], host[1]));
          } else if (procid !== 'router') entry.dynoLines++;
        });
        seen.push(entry);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const result = await runGen({
      url: `http://u:p@127.0.0.1:${port}/logs`,
      rate: 0,
      totalLines: 2000,
      batchLines: 500,
      concurrency: 2,
      seed: 3,
      apps: 6,
      tokenPerApp: true,
      drainToken: SHARED,
      progress: false,
      // 100 ms of event time a line, whatever the machine's speed: the dyno fleet's first
      // samples fall anywhere in its first 20 s, and on the wall clock a fast run of
      // 2,000 lines could end before any was due.
      clock: (() => {
        let t = Date.UTC(2026, 0, 1);
        return () => (t += 100);
      })(),
    });
    expect(result).toMatchObject({ lines: 2000, failedLines: 0 });
    expect(seen.reduce((n, s) => n + s.lines, 0)).toBe(2000);
    expect(seen.length).toBeGreaterThan(4); // 4 due batches, split by app
    for (const s of seen) {
      if (s.token === SHARED) {
        expect(s.hosts.size).toBe(0); // only lines without an app (the app-output noise)
        continue;
      }
      expect(s.hosts.size).toBeLessThanOrEqual(1);
      for (const h of s.hosts) expect(appDrainToken(h)).toBe(s.token);
    }
    expect(seen.some((s) => s.token !== SHARED && s.dynoLines > 0)).toBe(true);
  });
});
