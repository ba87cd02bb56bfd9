import { describe, expect, it } from 'vitest';
import { RouteTemplater } from '../../src/actors/route-template.js';
import { formatRouterLine } from '../../src/logplex/router-line-format.js';
import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import { createHostMap, parseHostMap } from '../../src/replay/host-map.js';
import { queryRules } from '../../src/replay/query-redaction.js';
import { createReplayFilter } from '../../src/replay/replay-filter.js';
import { type ItemContext, sanitizePath, toReplayItem } from '../../src/replay/replay-item.js';

const T0 = Date.UTC(2026, 11, 1, 4, 0, 0);

function line(
  method: string,
  path: string,
  opts: { host?: string; status?: number; ts?: number } = {},
): Buffer {
  const message = formatRouterLine({
    at: 'info',
    method,
    path,
    host: opts.host ?? 'shop.example.com',
    request_id: 'rid-1',
    fwd: '1.2.3.4',
    dyno: 'web.1',
    connect: '1ms',
    service: '22ms',
    status: opts.status ?? 200,
    bytes: 10,
    protocol: 'https',
  });
  return Buffer.from(
    formatSyslogLine({ timestampMs: opts.ts ?? T0, app: 'heroku', procid: 'router', message }),
  );
}

function ctx(over: Partial<ItemContext> = {}): ItemContext {
  return {
    filter: createReplayFilter({}),
    hostMap: createHostMap(
      'http://127.0.0.1:9000/pre',
      parseHostMap(['api.example.com=https://api.staging.test']),
    ),
    query: queryRules(['token'], ['utm']),
    templater: new RouteTemplater(),
    fromMs: null,
    toMs: null,
    ...over,
  };
}

describe('toReplayItem', () => {
  it('builds the request: target, prefixed and redacted path, route, original status and time', () => {
    const r = toReplayItem(line('GET', '/users/42?token=s3cret&utm=x&q=1'), 3, ctx());
    expect(r).toEqual({
      ok: true,
      item: {
        partition: 3,
        eventMs: T0,
        app: 'shop.example.com',
        method: 'GET',
        path: '/pre/users/42?token=REDACTED&q=1',
        route: 'GET /users/:id',
        originalStatus: 200,
        originalServiceMs: 22,
        requestId: 'rid-1',
        target: { origin: 'http://127.0.0.1:9000', prefix: '/pre', userinfo: null },
      },
    });
  });

  it('maps hosts', () => {
    const r = toReplayItem(line('GET', '/', { host: 'api.example.com' }), 0, ctx());
    expect(r.ok && r.item.target.origin).toBe('https://api.staging.test');
  });

  it('says why a line is not sent', () => {
    expect(
      toReplayItem(Buffer.from('<190>1 2026-12-01T04:00:00+00:00 host app web.1 - hello'), 0, ctx()),
    ).toEqual({
      ok: false,
      reason: 'unparsed',
    });
    expect(toReplayItem(line('POST', '/x'), 0, ctx())).toEqual({ ok: false, reason: 'method' });
    expect(toReplayItem(line('GET', 'http://evil.example.com/x'), 0, ctx())).toEqual({
      ok: false,
      reason: 'unsendable',
    });
    const noFallback = ctx({ hostMap: createHostMap(undefined, parseHostMap(['api.example.com=http://x'])) });
    expect(toReplayItem(line('GET', '/'), 0, noFallback)).toEqual({ ok: false, reason: 'no_target' });
    const range = ctx({ fromMs: T0 + 1000, toMs: T0 + 2000 });
    expect(toReplayItem(line('GET', '/', { ts: T0 + 999 }), 0, range)).toEqual({
      ok: false,
      reason: 'out_of_range',
    });
    expect(toReplayItem(line('GET', '/', { ts: T0 + 1000 }), 0, range).ok).toBe(true);
    expect(toReplayItem(line('GET', '/', { ts: T0 + 2000 }), 0, range)).toEqual({
      ok: false,
      reason: 'out_of_range',
    });
  });
});

describe('sanitizePath', () => {
  it('percent-encodes what a request line cannot carry and keeps the rest', () => {
    expect(sanitizePath('/a b/ü?x="1"&y=%20')).toBe('/a%20b/%C3%BC?x="1"&y=%20');
  });
});
