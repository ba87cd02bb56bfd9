import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { API_KEY, BrokerConnection } from '../../src/kafka/broker-connection.js';
import { WireWriter } from '../../src/kafka/wire/wire-writer.js';

/**
 * BrokerConnection against a fake broker on port 0 that speaks just enough: ApiVersions v0
 * (API 1 versions 4–17, API 2 versions 1–9) and an echo API (key 1) that answers with the
 * request body, split into tiny chunks, answers held back on demand.
 */
interface Fake {
  port: number;
  requests: { apiKey: number; version: number; correlationId: number; clientId: string }[];
  /** when true, requests other than ApiVersions get no answer */
  silent: boolean;
  /** answers are written in pieces of this many bytes */
  chunk: number;
  sockets: net.Socket[];
}

async function fakeBroker(): Promise<Fake> {
  const fake: Fake = { port: 0, requests: [], silent: false, chunk: 3, sockets: [] };
  const server = net.createServer((socket) => {
    fake.sockets.push(socket);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(0, 4 + buf.readInt32BE(0));
        buf = buf.subarray(frame.length);
        const apiKey = frame.readInt16BE(4);
        const version = frame.readInt16BE(6);
        const correlationId = frame.readInt32BE(8);
        const idLen = frame.readInt16BE(12);
        const clientId = frame.toString('utf8', 14, 14 + idLen);
        fake.requests.push({ apiKey, version, correlationId, clientId });
        const w = new WireWriter();
        w.int32(0).int32(correlationId);
        if (apiKey === API_KEY.apiVersions) {
          w.int16(0).int32(2).int16(1).int16(4).int16(17).int16(2).int16(1).int16(9);
        } else if (fake.silent) {
          continue;
        } else {
          w.raw(frame.subarray(14 + idLen));
        }
        w.setInt32(0, w.length - 4);
        const out = Buffer.from(w.bytes());
        // in small pieces: framing must not depend on chunk boundaries
        for (let i = 0; i < out.length; i += fake.chunk) socket.write(out.subarray(i, i + fake.chunk));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.port = (server.address() as net.AddressInfo).port;
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        for (const s of fake.sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return fake;
}

const connect = (port: number, requestTimeoutMs = 2000) =>
  BrokerConnection.connect({
    host: '127.0.0.1',
    port,
    ssl: false,
    clientId: 'rm-test',
    connectTimeoutMs: 2000,
    requestTimeoutMs,
  });

describe('BrokerConnection', () => {
  it('negotiates versions with ApiVersions and refuses an API with no version in common', async () => {
    const fake = await fakeBroker();
    const conn = await connect(fake.port);
    onTestFinished(() => conn.close());
    expect(fake.requests[0]).toMatchObject({ apiKey: 18, version: 0, clientId: 'rm-test' });
    expect(conn.version(API_KEY.fetch, 4, 11)).toBe(11);
    expect(conn.version(API_KEY.listOffsets, 1, 5)).toBe(5);
    expect(() => conn.version(API_KEY.fetch, 18, 20)).toThrow(
      expect.objectContaining({ code: 'RM_ERR_KAFKA_REJECTED' }),
    );
    expect(() => conn.version(API_KEY.metadata, 4, 8)).toThrow(
      expect.objectContaining({ code: 'RM_ERR_KAFKA_REJECTED' }),
    );
  });

  it('pipelines requests and matches each answer to its request, whatever the chunking', async () => {
    const fake = await fakeBroker();
    const conn = await connect(fake.port);
    onTestFinished(() => conn.close());
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        conn.request(1, 11, (w) => w.int32(i).string(`req ${i}`)).then((r) => [r.int32(), r.string()]),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => [i, `req ${i}`]));
    const ids = fake.requests.slice(1).map((r) => r.correlationId);
    expect(new Set(ids).size).toBe(50);
  });

  it('assembles large answers in pooled buffers: a released one serves the next answer, a kept one is never overwritten', async () => {
    const fake = await fakeBroker();
    fake.chunk = 7919; // a prime: size headers and frames straddle the reads
    const conn = await connect(fake.port);
    onTestFinished(() => conn.close());
    const body = (seed: number, n: number) =>
      Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 0xff));
    const echo = (seed: number, n: number) => conn.request(1, 11, (w) => w.raw(body(seed, n)));
    const bytesOf = (r: { buf: Buffer; pos: number; end: number }) => r.buf.subarray(r.pos, r.end);

    const [a, b] = await Promise.all([echo(3, 200_000), echo(5, 150_000)]);
    expect(bytesOf(a).equals(body(3, 200_000))).toBe(true);
    expect(bytesOf(b).equals(body(5, 150_000))).toBe(true);
    // a given back: the next large answer is assembled in the same memory
    a.release();
    const c = await echo(7, 180_000);
    expect(c.buf.buffer).toBe(a.buf.buffer);
    expect(bytesOf(c).equals(body(7, 180_000))).toBe(true);
    // b was kept: still intact after more answers came in
    const d = await echo(11, 190_000);
    expect(bytesOf(b).equals(body(5, 150_000))).toBe(true);
    expect(bytesOf(d).equals(body(11, 190_000))).toBe(true);
    expect(d.buf.buffer).not.toBe(b.buf.buffer);
  });

  it('fails a request without an answer with a retryable timeout, and everything else in flight with a connection error', async () => {
    const fake = await fakeBroker();
    const conn = await connect(fake.port, 200);
    fake.silent = true;
    const first = conn.request(1, 11, (w) => w.int32(1));
    const second = conn.request(1, 11, (w) => w.int32(2), 10_000);
    await expect(first).rejects.toMatchObject({ code: 'RM_ERR_TIMEOUT', canRetry: true });
    await expect(second).rejects.toMatchObject({ code: 'RM_ERR_KAFKA_CONNECTION', canRetry: true });
    expect(conn.isOpen).toBe(false);
    await expect(conn.request(1, 11, () => {})).rejects.toMatchObject({ code: 'RM_ERR_KAFKA_CONNECTION' });
  });

  it('fails requests in flight when the broker closes the connection', async () => {
    const fake = await fakeBroker();
    const conn = await connect(fake.port);
    fake.silent = true;
    const pending = conn.request(1, 11, (w) => w.int32(1));
    await new Promise((r) => setTimeout(r, 50));
    for (const s of fake.sockets) s.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'RM_ERR_KAFKA_CONNECTION', canRetry: true });
  });

  it('reports a refused connection as retryable', async () => {
    const fake = await fakeBroker();
    const port = fake.port;
    for (const s of fake.sockets) s.destroy();
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(port).toBeGreaterThan(0);
    await expect(connect(freePort)).rejects.toMatchObject({
      code: 'RM_ERR_KAFKA_CONNECTION',
      canRetry: true,
    });
  });
});
