import { describe, expect, it } from 'vitest';
import { type BatchContext, buildBatchRecords, RECORD_HEADERS } from '../../src/ingest/batch-records.js';
import { slabsToTopicMessages } from '../../src/kafka/record-slab.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import {
  L10_LINE,
  RUNTIME_METRICS_MESSAGE,
  routerLine,
  SAMPLE_FRAMES,
  SAMPLE_MESSAGES,
  sampleBody,
} from '../logplex/samples.js';
import { TEST_BATCH_CONTEXT } from './batch-context.js';

const ctx = TEST_BATCH_CONTEXT;
const appLine = '<190>1 2020-01-08T22:33:57.353034+00:00 host app web.1 - Started GET "/" for 1.2.3.4';
const metricsLine = `<45>1 2020-01-08T22:33:57.353034+00:00 host heroku web.1 - ${RUNTIME_METRICS_MESSAGE}`;

/** The batch as kafkajs messages per topic, as the producer thread builds them. */
function build(body: Buffer, c: BatchContext = ctx) {
  const r = buildBatchRecords(body, c);
  const tm = slabsToTopicMessages([r.slab], 'router', 'platform');
  const router = tm.find((t) => t.topic === 'router')?.messages ?? [];
  const platform = tm.find((t) => t.topic === 'platform')?.messages ?? [];
  return { ...r, router, platform };
}

describe('buildBatchRecords', () => {
  it('router lines: value = the original line bytes, key = host=, headers = token, frame id, received-at', () => {
    const body = sampleBody();
    const r = build(body, ctx);
    expect(r.router).toHaveLength(2);
    expect(r.platform).toHaveLength(0);
    expect(Buffer.compare(r.router[0]!.value as Buffer, Buffer.from(SAMPLE_FRAMES[0].slice(4)))).toBe(0);
    expect((r.router[1]!.key as Buffer).toString()).toBe('lumberjack-store.timber.io');
    const headers = Object.fromEntries(Object.entries(r.router[0]!.headers!).map(([k, v]) => [k, String(v)]));
    expect(headers).toEqual({
      [RECORD_HEADERS.drainToken]: 'd.abc',
      [RECORD_HEADERS.frameId]: 'F00D',
      [RECORD_HEADERS.receivedAt]: '1700000000000',
    });
    // a view into the body, not a copy
    expect((r.router[0]!.value as Buffer).buffer).toBe(body.buffer);
    expect(r.recordBytes).toBeGreaterThan(241 + 266);
  });

  it('routes platform lines (L10, runtime metrics) and drops app output by default', () => {
    const body = Buffer.from(
      formatLogplexBody([L10_LINE, metricsLine, appLine, routerLine(SAMPLE_MESSAGES[0])]),
    );
    const r = build(body, ctx);
    expect(r.router).toHaveLength(1);
    expect(r.platform.map((m) => (m.value as Buffer).toString())).toEqual([L10_LINE, metricsLine]);
    expect(String(r.platform[0]!.key)).toBe('d.abc');
    expect(r.rejected.app_output_dropped).toBe(1);
    expect(r.upstreamDropped).toBe(523);
  });

  it('keeps app output on the platform topic when asked, and drops platform lines when the topic is off', () => {
    const body = Buffer.from(formatLogplexBody([appLine, metricsLine]));
    expect(build(body, { ...ctx, appOutput: 'platform' }).platform).toHaveLength(2);
    const off = build(body, { ...ctx, appOutput: 'platform', platformTopic: false });
    expect(off.platform).toHaveLength(0);
    expect(off.rejected.platform_disabled).toBe(2);
  });

  it('counts what it cannot read, and keeps the rest', () => {
    const body = Buffer.from(
      `${formatLogplexBody(['<999>1 not a syslog header', routerLine('at=info method=GET path=/')])}junk\n${SAMPLE_FRAMES[0]}\n`,
    );
    const r = build(body, ctx);
    expect(r.rejected.bad_header).toBe(1);
    expect(r.rejected.router_no_host).toBe(1);
    expect(r.framing.garbageBytes).toBe(5);
    expect(r.router).toHaveLength(1);
  });

  it('refuses, line by line, the router lines of apps the drain may not write', () => {
    const line = (host: string) =>
      routerLine(`at=info method=GET path=/ host=${host} status=200 service=5ms`);
    const body = Buffer.from(
      formatLogplexBody([line('a.com'), line('b.com'), line('b.com'), line('c.com'), line('a.com')]),
    );
    const seen: string[] = [];
    const r = build(body, {
      ...ctx,
      appCheck: (host) => {
        seen.push(host);
        return host === 'a.com' ? null : host === 'b.com' ? 'app_not_allowed' : 'app_cap';
      },
    });
    expect(r.router.map((m) => (m.key as Buffer).toString())).toEqual(['a.com', 'a.com']);
    expect(r.rejected.app_not_allowed).toBe(2);
    expect(r.rejected.app_cap).toBe(1);
    expect(r.routerCount).toBe(2);
    // consecutive lines of one host are checked once
    expect(seen).toEqual(['a.com', 'b.com', 'c.com', 'a.com']);
  });
});
