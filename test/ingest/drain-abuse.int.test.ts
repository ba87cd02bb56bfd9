import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch, type LogplexBatch } from '../../src/gen/logplex-batch.js';
import { postHead, rawRequest } from '../support/raw-http.js';
import { AUTH, post, readTopic, useDrain } from './drain-fixture.js';

/**
 * The drain under abuse (issue 8 item 5, and the body scenarios of item 6), against one drain
 * on the real Kafka and Redis. Invariant: what was answered 204 is in Kafka exactly once, what
 * was refused is not there at all, and the drain keeps serving throughout. Figures are printed.
 */
function batchOf(n: number, seed: number, token = 'd.abuse'): { batch: LogplexBatch; lines: string[] } {
  const gen = createLineGenerator({ seed, appOutputRate: 0, runtimeMetricsRate: 0 });
  const lines = Array.from({ length: n }, () => gen().line);
  return { batch: buildLogplexBatch(lines, token), lines };
}

const MAPPED = `Basic ${Buffer.from('mapped:pw').toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drain under abuse (real Kafka and Redis)', () => {
  it('answers every abusive request readably, throttles guessing, and loses or doubles nothing', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const drain = await useDrain(
      {
        DRAIN_USERS: 'logplex:s3cret,mapped:pw',
        DRAIN_APPS: 'mapped=allowed.example.com',
        DRAIN_MAX_BODY_BYTES: String(1024 * 1024),
        DRAIN_MAX_INFLIGHT: '3',
        DRAIN_AUTH_FAILURES_PER_MINUTE: '20',
        DRAIN_TRUST_PROXY: 'true',
      },
      undefined,
      { logs },
    );
    const port = drain.port;
    const path = new URL(drain.url).pathname;
    const expected: string[] = [];
    const figures: Record<string, unknown> = {};
    const good = async (seed: number, from = '10.1.0.1') => {
      const { batch, lines } = batchOf(20, seed);
      const r = await post(drain.url, batch.body, {
        ...batch.headers,
        authorization: AUTH,
        'x-forwarded-for': from,
      });
      expect(r.status).toBe(204);
      expected.push(...lines);
    };
    await good(1);

    // 1. oversized: 8 MiB written in full before the client reads; it must read the 413.
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    const head = (extra: Record<string, string>) =>
      postHead(path, {
        'content-type': 'application/logplex-1',
        authorization: AUTH,
        'logplex-drain-token': 'd.abuse',
        'x-forwarded-for': '10.1.0.2',
        ...extra,
      });
    const oversized = await rawRequest(port, head({ 'content-length': String(big.length) }), big);
    expect(oversized.error).toBeNull();
    expect(oversized.status).toBe(413);
    // the same, chunked (no Content-Length: counted while streaming)
    const chunked = Buffer.concat([
      Buffer.from(`${big.length.toString(16)}\r\n`),
      big,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const oversizedChunked = await rawRequest(port, head({ 'transfer-encoding': 'chunked' }), chunked);
    expect(oversizedChunked.status).toBe(413);
    figures.oversized = {
      contentLength: oversized.status,
      chunked: oversizedChunked.status,
      ms: Math.round(oversized.ms),
    };

    // 2. gzip: 415, nothing produced (logplex never compresses; nothing is decoded)
    const gz = batchOf(10, 2).batch;
    const gzBody = gzipSync(gz.body);
    const gzAnswer = await post(drain.url, gzBody, {
      ...gz.headers,
      'content-length': String(gzBody.length),
      'content-encoding': 'gzip',
      authorization: AUTH,
    });
    expect(gzAnswer.status).toBe(415);

    // 3. binary garbage: 204 with nothing produced, counted as garbage, drain still serves
    const binary = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 256));
    const binAnswer = await post(drain.url, binary, {
      ...batchOf(1, 3).batch.headers,
      'content-length': String(binary.length),
      authorization: AUTH,
    });
    expect(binAnswer.status).toBe(204);
    expect(await drain.metric('routemeter_drain_garbage_bytes_total')).toBeGreaterThan(0);

    // 4. truncated: Content-Length 2000, 1000 bytes sent, then the client goes away
    const trunc = batchOf(10, 4).batch;
    const truncated = await rawRequest(
      port,
      head({ 'content-length': String(trunc.body.length + 1000) }),
      trunc.body,
      {
        endAfterWrite: true,
        timeoutMs: 5000,
      },
    );
    // the body ended early (our side closed): Node's parser answers 400, nothing is produced
    expect(truncated.status).toBe(400);
    figures.truncated = truncated.status;
    // 5. lying Content-Length (shorter than the body): the rest is read as a next request and refused
    // (HTTP says the body is 100 bytes: those are the batch, the rest a malformed next request,
    // answered 400 by Node's parser, possibly before the batch's own answer)
    const lie = batchOf(10, 5, 'd.liar');
    const liar = await rawRequest(
      port,
      head({ 'content-length': '100', 'logplex-drain-token': 'd.liar' }),
      lie.batch.body,
    );
    expect([204, 400]).toContain(liar.status);
    figures.lyingContentLength = liar.status;
    await good(6);

    // 6. admission: 3 requests whose bodies trickle hold every slot; the 4th is 503 before its body is read
    const holders: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write(head({ 'content-length': '5000', 'logplex-frame-id': `hold${i}` }));
      s.write('1'); // part of a body, then nothing
      holders.push(s);
    }
    await sleep(300);
    const refused = batchOf(10, 7).batch;
    const busy = await rawRequest(
      port,
      head({ 'content-length': String(refused.body.length) }),
      refused.body,
    );
    expect(busy.status).toBe(503);
    expect(busy.raw.toLowerCase()).toContain('retry-after: 1');
    expect(await drain.metric('routemeter_drain_admission_refused_total', { reason: 'inflight' })).toBe(1);
    for (const s of holders) s.destroy();
    await sleep(300);
    await good(8);

    // 7. slowloris: 100 connections trickling header bytes; a real batch still gets through
    const slow: net.Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\n`);
      s.resume(); // reads what it is sent (the 408), so its 'close' can be seen
      slow.push(s);
    }
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X-a: b\r\n');
    }, 1000);
    const t0 = performance.now();
    await good(9);
    figures.slowlorisGoodBatchMs = Math.round(performance.now() - t0);
    const closedBy = await Promise.race([
      Promise.all(slow.map((s) => new Promise((r) => s.once('close', r)))).then(() => performance.now() - t0),
      sleep(20_000).then(() => -1),
    ]);
    clearInterval(trickle);
    for (const s of slow) s.destroy();
    expect(closedBy).toBeGreaterThan(0); // the server cut them (headers timeout 10 s)
    figures.slowlorisCutAfterMs = Math.round(closedBy);

    // 8. apps: user `mapped` may write only allowed.example.com; other lines counted, refused
    const line = (host: string, i: number) =>
      `<158>1 2026-01-01T00:00:0${i}.000000+00:00 host heroku router - at=info method=GET path="/" host=${host} request_id=r${i} fwd="1.2.3.4" dyno=web.1 connect=1ms service=${i + 1}ms status=200 bytes=10 protocol=https`;
    const mixed = buildLogplexBatch(
      [line('allowed.example.com', 1), line('other.example.com', 2), line('allowed.example.com', 3)],
      'd.mapped',
    );
    expect((await post(drain.url, mixed.body, { ...mixed.headers, authorization: MAPPED })).status).toBe(204);
    expected.push(line('allowed.example.com', 1), line('allowed.example.com', 3));
    expect(
      await drain.metric('routemeter_drain_lines_total', { result: 'rejected', reason: 'app_not_allowed' }),
    ).toBe(1);

    // 9. guessing: 300 wrong credentials from one address → 401 × 20, then 429; one summary log line
    const bad = `Basic ${Buffer.from('logplex:guess').toString('base64')}`;
    const statuses = new Map<number, number>();
    const g = batchOf(1, 10).batch;
    for (let i = 0; i < 300; i++) {
      const r = await post(drain.url, g.body, {
        ...g.headers,
        authorization: bad,
        'x-forwarded-for': '10.9.9.9',
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(statuses.get(401)).toBe(20);
    expect(statuses.get(429)).toBe(280);
    // logplex, elsewhere, is not affected
    await good(11, '10.1.0.1');
    figures.guessing = Object.fromEntries(statuses);

    await drain.close(); // flushes the throttle's summary
    const authLines = logs.filter((l) => l.event === 'drain.auth_refused');
    expect(authLines.length).toBeGreaterThanOrEqual(1);
    expect(authLines.length).toBeLessThanOrEqual(3); // one per 10 s interval, not one per request
    expect(
      authLines.reduce((n, l) => n + Number((l.failures as Record<string, number>).bad_credentials ?? 0), 0),
    ).toBe(20);
    expect(authLines.reduce((n, l) => n + Number(l.throttled), 0)).toBe(280);
    figures.authLogLines = authLines.length;

    // the invariant: exactly what was acknowledged, once
    const all = await readTopic(drain.routerTopic, expected.length);
    // lines the liar's first 100 bytes held (a repaired partial frame at most) are its own
    const got = all
      .filter((r) => r.headers['logplex-drain-token'] !== 'd.liar')
      .map((r) => r.value.toString());
    figures.liarLinesProduced = all.length - got.length;
    expect(got.sort()).toEqual([...expected].sort());
    figures.acknowledgedLines = expected.length;
    figures.inKafka = got.length;
    figures.lost = expected.filter((l) => !got.includes(l)).length;
    figures.doubled = got.length - new Set(got).size;
    console.log(`[drain-abuse] ${JSON.stringify(figures)}`);
  });
});
