import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch, type LogplexBatch } from '../../src/gen/logplex-batch.js';
import { RECORD_HEADERS } from '../../src/ingest/batch-records.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import { L10_LINE, SAMPLE_FRAMES } from '../logplex/samples.js';
import { kafkaBrokers } from '../support/kafka.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { AUTH, post, readTopic, useDrain } from './drain-fixture.js';

function batchOf(n: number, seed: number, token = 'd.int-test'): { batch: LogplexBatch; lines: string[] } {
  const gen = createLineGenerator({ seed, appOutputRate: 0, runtimeMetricsRate: 0 });
  const lines = Array.from({ length: n }, () => gen().line);
  return { batch: buildLogplexBatch(lines, token), lines };
}

const send = (url: string, batch: LogplexBatch, extra: Record<string, string> = {}) =>
  post(url, batch.body, { ...batch.headers, authorization: AUTH, ...extra });

/** As logplex: the same batch (same frame id) again every 500 ms until 2xx; the last status. */
async function retryUntil2xx(url: string, batch: LogplexBatch, attempts: number): Promise<number> {
  let status = 0;
  for (let i = 0; i < attempts && status !== 204; i++) {
    status = (await send(url, batch)).status;
    if (status !== 204) await new Promise((r) => setTimeout(r, 500));
  }
  return status;
}

describe('drain server (real Kafka and Redis)', () => {
  it('produces every line of a batch, byte for byte, keyed by host=, with the drain headers', async () => {
    const drain = await useDrain();
    const { batch, lines } = batchOf(100, 1);
    const before = Date.now();
    expect((await send(drain.url, batch)).status).toBe(204);
    const got = await readTopic(drain.routerTopic, 100);
    expect(got).toHaveLength(100);
    expect(got.map((r) => r.value.toString('utf8')).sort()).toEqual([...lines].sort());
    for (const r of got) {
      const host = /host=(\S+)/.exec(r.value.toString().split(' - ')[1]!)![1];
      expect(r.key?.toString()).toBe(host);
      expect(r.headers[RECORD_HEADERS.drainToken]).toBe('d.int-test');
      expect(r.headers[RECORD_HEADERS.frameId]).toBe(batch.frameId);
      expect(Number(r.headers[RECORD_HEADERS.receivedAt])).toBeGreaterThanOrEqual(before);
    }
    // one app's lines stay on one partition
    const partitionsPerApp = new Map<string, Set<number>>();
    for (const r of got) {
      const k = r.key!.toString();
      if (!partitionsPerApp.has(k)) partitionsPerApp.set(k, new Set());
      partitionsPerApp.get(k)!.add(r.partition);
    }
    for (const ps of partitionsPerApp.values()) expect(ps.size).toBe(1);
    expect(await drain.metric('routemeter_drain_lines_total', { result: 'accepted', reason: 'router' })).toBe(
      100,
    );
    expect(await drain.metric('routemeter_drain_requests_total', { status: '204' })).toBe(1);
  });

  it('the real sample frames arrive exactly as sent (without count and newline)', async () => {
    const drain = await useDrain();
    const body = SAMPLE_FRAMES.map((f) => `${f}\n`).join('');
    const res = await post(drain.url, body, {
      'content-type': 'application/logplex-1',
      'logplex-msg-count': '2',
      'logplex-frame-id': 'AAAABBBBCCCCDDDDEEEEFFFF00001111',
      'logplex-drain-token': 'd.samples',
      authorization: AUTH,
    });
    expect(res.status).toBe(204);
    const got = await readTopic(drain.routerTopic, 2);
    expect(got.map((r) => r.value.toString()).sort()).toEqual(SAMPLE_FRAMES.map((f) => f.slice(4)).sort());
  });

  it('a batch posted twice with the same frame id is produced once', async () => {
    const drain = await useDrain();
    const { batch } = batchOf(50, 2);
    expect((await send(drain.url, batch)).status).toBe(204);
    expect((await send(drain.url, batch)).status).toBe(204);
    // concurrent retries of another batch: still once
    const second = batchOf(30, 3).batch;
    const answers = await Promise.all([
      send(drain.url, second),
      send(drain.url, second),
      send(drain.url, second),
    ]);
    for (const a of answers) expect([204, 503]).toContain(a.status);
    const got = await readTopic(drain.routerTopic, 80);
    expect(got).toHaveLength(80);
    expect(await drain.metric('routemeter_drain_dedupe_hits_total')).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 while Kafka is unreachable, then takes the retried batch with nothing lost', async () => {
    const [host, port] = kafkaBrokers()[0]!.split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    const drain = await useDrain({ DRAIN_PRODUCE_TIMEOUT_MS: '2000' }, `127.0.0.1:${proxy.port}`);
    try {
      const a = batchOf(40, 4);
      expect((await send(drain.url, a.batch)).status).toBe(204);

      await proxy.cut();
      const b = batchOf(40, 5);
      const started = Date.now();
      const down = await send(drain.url, b.batch);
      expect(down.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(4900); // within logplex's 5 s
      const ready = await fetch(`http://127.0.0.1:${drain.port}/readyz`);
      expect(ready.status).toBe(503);

      await proxy.restore();
      // logplex retries with the same frame id; the drain recovers on its own
      expect(await retryUntil2xx(drain.url, b.batch, 20)).toBe(204);
      const got = await readTopic(drain.routerTopic, 80);
      expect(got.map((r) => r.value.toString()).sort()).toEqual([...a.lines, ...b.lines].sort());
      expect(
        (await drain.metric('routemeter_drain_lines_total', { result: 'rejected', reason: 'timeout' })) +
          (await drain.metric('routemeter_drain_lines_total', {
            result: 'rejected',
            reason: 'kafka_unavailable',
          })),
      ).toBeGreaterThanOrEqual(40);
    } finally {
      await proxy.close();
    }
  });

  it('a batch Kafka wrote but never acknowledged is not written twice by the retry (same producer identity)', async () => {
    const [host, port] = kafkaBrokers()[0]!.split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    const drain = await useDrain({ DRAIN_PRODUCE_TIMEOUT_MS: '2000' }, `127.0.0.1:${proxy.port}`);
    try {
      const a = batchOf(30, 40);
      expect((await send(drain.url, a.batch)).status).toBe(204);
      // the broker gets B and writes it; its answers are lost
      proxy.dropAnswers(true);
      const b = batchOf(30, 41);
      expect((await send(drain.url, b.batch)).status).toBe(503);
      await new Promise((r) => setTimeout(r, 3000));
      // the connections break; the producer reconnects and resends B with the same sequence numbers
      await proxy.cut();
      proxy.dropAnswers(false);
      await proxy.restore();
      // logplex retries B (same frame id) until it is answered 2xx
      expect(await retryUntil2xx(drain.url, b.batch, 40)).toBe(204);
      const got = await readTopic(drain.routerTopic, 60);
      const values = got.map((r) => r.value.toString());
      expect(values.length).toBe(60);
      expect(values.sort()).toEqual([...a.lines, ...b.lines].sort());
      expect(await drain.metric('routemeter_drain_late_outcomes_total', { result: 'acked' })).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('refuses wrong credentials (401), other content types (415) and oversized bodies (413)', async () => {
    const drain = await useDrain({ DRAIN_MAX_BODY_BYTES: '4096' });
    const { batch } = batchOf(5, 6);
    const bad = `Basic ${Buffer.from('logplex:nope').toString('base64')}`;
    expect((await send(drain.url, batch, { authorization: bad })).status).toBe(401);
    expect((await post(drain.url, batch.body, batch.headers)).status).toBe(401);
    expect((await send(drain.url, batch, { 'content-type': 'text/plain' })).status).toBe(415);

    const big = batchOf(40, 7).batch; // ~12 KB
    expect((await send(drain.url, big)).status).toBe(413);
    // chunked: no Content-Length, counted while streaming
    const { 'content-length': _, ...noLength } = big.headers;
    const res = await fetch(drain.url, {
      method: 'POST',
      headers: { ...noLength, authorization: AUTH },
      body: new ReadableStream({
        start(c) {
          c.enqueue(big.body.subarray(0, 3000));
          c.enqueue(big.body.subarray(3000));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await drain.metric('routemeter_drain_requests_total', { status: '401' })).toBe(2);
    expect(await drain.metric('routemeter_drain_requests_total', { status: '413' })).toBe(2);
    expect(await drain.metric('routemeter_drain_requests_total', { status: '415' })).toBe(1);
    expect(await drain.metric('routemeter_drain_lines_total', { result: 'accepted' })).toBe(0);
  });

  it('keeps what parses from a malformed body, counts the rest, and keeps serving', async () => {
    const drain = await useDrain();
    const good = batchOf(3, 8).lines;
    const body =
      '\u0000\u00ff garbage\n' +
      formatLogplexBody([good[0]!, '<999>1 not a header']) +
      `7 ${good[1]}\n` + // wrong count: repaired
      formatLogplexBody([good[2]!, L10_LINE]);
    const res = await post(drain.url, body, {
      'content-type': 'application/logplex-1',
      'logplex-msg-count': '9',
      'logplex-frame-id': 'F'.repeat(32),
      'logplex-drain-token': 'd.malformed',
      authorization: AUTH,
    });
    expect(res.status).toBe(204);
    const got = await readTopic(drain.routerTopic, 3);
    expect(got.map((r) => r.value.toString()).sort()).toEqual([...good].sort());
    expect(await drain.metric('routemeter_drain_lines_total', { reason: 'bad_header' })).toBe(1);
    expect(await drain.metric('routemeter_drain_frames_repaired_total')).toBe(1);
    expect(await drain.metric('routemeter_drain_garbage_bytes_total')).toBeGreaterThan(0);
    expect(await drain.metric('routemeter_drain_msg_count_mismatch_total')).toBe(1);
    expect(await drain.metric('routemeter_drain_upstream_dropped_total', { drain: 'd.malformed' })).toBe(523);
    const platform = await readTopic(drain.platformTopic, 1);
    expect(platform[0]!.value.toString()).toBe(L10_LINE);
    // still alive
    expect((await fetch(`http://127.0.0.1:${drain.port}/healthz`)).status).toBe(200);
  });

  it('coalesces concurrent requests into shared produce calls; serves healthz, readyz, metrics', async () => {
    const drain = await useDrain();
    const batches = Array.from({ length: 20 }, (_, i) => batchOf(100, 100 + i).batch);
    const answers = await Promise.all(batches.map((b) => send(drain.url, b)));
    expect(answers.map((a) => a.status)).toEqual(batches.map(() => 204));
    const calls = await drain.metric('routemeter_drain_produce_batch_records');
    expect(calls).toBeGreaterThan(0);
    const produced = await readTopic(drain.routerTopic, 2000, 60_000);
    expect(produced).toHaveLength(2000);

    const base = `http://127.0.0.1:${drain.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, reasons: [] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('routemeter_drain_requests_total{status="204"} 20');
    expect(metrics).toContain('routemeter_drain_produce_duration_seconds_bucket');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(drain.url)).status).toBe(405);
  });

  it('close() lets in-flight requests finish and then refuses', async () => {
    const drain = await useDrain({ DRAIN_LINGER_MS: '200' });
    const { batch } = batchOf(20, 9);
    const inflight = send(drain.url, batch);
    await new Promise((r) => setTimeout(r, 50));
    await drain.close();
    expect((await inflight).status).toBe(204);
    await expect(fetch(drain.url, { method: 'POST' })).rejects.toThrow();
    expect(await readTopic(drain.routerTopic, 20)).toHaveLength(20);
  });
});
