import net from 'node:net';
import tls from 'node:tls';
import type { KafkaConnection } from '../config/kafka-url.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { FramePool } from './frame-pool.js';
import { brokerTlsOptions } from './kafka-client.js';
import { WireReader } from './wire/wire-reader.js';
import { WireWriter } from './wire/wire-writer.js';

/**
 * One TCP (or TLS) connection to one Kafka broker, for the partition fetchers
 * (partition-fetcher.ts). kafkajs keeps group membership, admin and producing; this
 * is the small part of a client a fetch loop needs. Frames (non-flexible headers):
 *
 *   request:  int32 size | int16 api_key | int16 api_version | int32 correlation_id
 *             | string client_id | body
 *   response: int32 size | int32 correlation_id | body
 *
 * Requests are pipelined: a broker answers the requests of one connection in the
 * order it received them, so answers are matched by correlation id and a late one
 * is simply a protocol error. A request that gets no answer within its timeout
 * fails with RM_ERR_TIMEOUT and closes the connection (a broker that stopped
 * answering one request will not answer the next); a connection that closes fails
 * every request in flight with RM_ERR_KAFKA_CONNECTION. Both are retryable: the
 * fetcher reconnects (to the leader it then finds).
 *
 * On connect, ApiVersions v0 (every broker since 0.10 answers it; Kafka 4 still
 * does) tells which versions of each API the broker speaks; `version()` picks the
 * highest one both sides support.
 */
export interface BrokerConnectionOptions {
  host: string;
  port: number;
  ssl: KafkaConnection['ssl'];
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export const API_KEY = {
  fetch: 1,
  listOffsets: 2,
  metadata: 3,
  apiVersions: 18,
} as const;

interface InFlight {
  apiKey: number;
  resolve: (r: WireReader) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class BrokerConnection {
  private readonly inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 1;
  /** the response being received: its buffer (from `frames`), its length and what is in */
  private frame: Buffer | null = null;
  private frameSize = 0;
  private filled = 0;
  /** the 4-byte size of the next response, which may arrive split over reads */
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeFilled = 0;
  private readonly frames = new FramePool();
  private closedWith: RoutemeterError | null = null;
  private versions = new Map<number, { min: number; max: number }>();
  private readonly clientId: Buffer;

  private constructor(
    private readonly socket: net.Socket,
    readonly opts: BrokerConnectionOptions,
    reader: SocketReader | null,
  ) {
    this.clientId = Buffer.from(opts.clientId);
    if (reader) reader.target = (chunk, n) => this.onBytes(chunk, n);
    else socket.on('data', (chunk: Buffer) => this.onBytes(chunk, chunk.length));
    socket.on('error', (err) => this.fail(this.connectionError(err.message, err)));
    socket.on('close', () => this.fail(this.connectionError('connection closed')));
  }

  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  get isOpen(): boolean {
    return this.closedWith === null;
  }

  /** Connects (TLS as KAFKA_URL configures) and learns the broker's API versions. */
  static async connect(opts: BrokerConnectionOptions): Promise<BrokerConnection> {
    const { socket, reader } = await openSocket(opts);
    const conn = new BrokerConnection(socket, opts, reader);
    try {
      await conn.loadApiVersions();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /**
   * The highest version of `apiKey` in [ourMin, ourMax] the broker also supports.
   * None: RM_ERR_KAFKA_REJECTED (Kafka 4 removed Fetch < v4 and ListOffsets < v1).
   */
  version(apiKey: number, ourMin: number, ourMax: number): number {
    const theirs = this.versions.get(apiKey);
    const v = theirs ? Math.min(ourMax, theirs.max) : -1;
    if (!theirs || v < ourMin || v < theirs.min) {
      throw new RoutemeterError(
        'RM_ERR_KAFKA_REJECTED',
        `broker ${this.address} supports API ${apiKey} versions ${theirs ? `${theirs.min}-${theirs.max}` : 'none'}; routemeter speaks ${ourMin}-${ourMax}`,
      );
    }
    return v;
  }

  /**
   * Sends one request and resolves with a reader positioned at the response body.
   * `body` writes the request body; `timeoutMs` adds to nothing: a Fetch passes its
   * max wait plus the request timeout.
   */
  request(
    apiKey: number,
    apiVersion: number,
    body: (w: WireWriter) => void,
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<WireReader> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff || 1;
    const w = new WireWriter(128);
    w.int32(0).int16(apiKey).int16(apiVersion).int32(correlationId);
    w.int16(this.clientId.length).raw(this.clientId);
    body(w);
    w.setInt32(0, w.length - 4);
    return new Promise<WireReader>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new RoutemeterError(
          'RM_ERR_TIMEOUT',
          `broker ${this.address}: no answer to API ${apiKey} v${apiVersion} within ${timeoutMs} ms`,
        );
        this.inFlight.delete(correlationId);
        reject(err);
        // The broker answers in order: one that stalls on this request stalls the rest.
        this.fail(this.connectionError(`request timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.inFlight.set(correlationId, { apiKey, resolve, reject, timer });
      this.socket.write(w.bytes());
    });
  }

  /** Closes the connection; requests in flight fail with RM_ERR_KAFKA_CONNECTION. */
  close(): void {
    this.fail(this.connectionError('closed by routemeter'));
  }

  private async loadApiVersions(): Promise<void> {
    // ApiVersions v0: empty body; answer: int16 error_code | [int16 api_key, int16 min, int16 max]
    const r = await this.request(API_KEY.apiVersions, 0, () => {}, this.opts.connectTimeoutMs);
    const error = r.int16();
    const entries = r.array((x) => ({ key: x.int16(), min: x.int16(), max: x.int16() }));
    if (error !== 0) {
      throw new RoutemeterError(
        'RM_ERR_KAFKA_REJECTED',
        `broker ${this.address}: ApiVersions error ${error}`,
      );
    }
    this.versions = new Map(entries.map((e) => [e.key, { min: e.min, max: e.max }]));
  }

  /**
   * Frames the received bytes `chunk[0, end)` (the socket's buffer: copied out
   * before returning, since `onread` reuses it). Each response is
   *
   *   Size:int32  CorrelationId:int32  body…        (Size counts the bytes after itself)
   *
   * assembled in a buffer of its own from the frame pool, then handed to its request.
   */
  private onBytes(chunk: Buffer, end: number): void {
    let p = 0;
    while (p < end) {
      if (this.frame === null) {
        while (this.sizeFilled < 4 && p < end) this.sizeBytes[this.sizeFilled++] = chunk[p++]!;
        if (this.sizeFilled < 4) return;
        this.sizeFilled = 0;
        const size = this.sizeBytes.readInt32BE(0);
        if (size < 4) {
          this.fail(this.protocolError(`frame of ${size} bytes`));
          return;
        }
        this.frameSize = 4 + size;
        this.frame = this.frames.acquire(this.frameSize);
        this.sizeBytes.copy(this.frame, 0);
        this.filled = 4;
      }
      const take = Math.min(end - p, this.frameSize - this.filled);
      chunk.copy(this.frame, this.filled, p, p + take);
      this.filled += take;
      p += take;
      if (this.filled === this.frameSize) {
        const whole = this.frame;
        this.frame = null;
        this.onFrame(whole, this.frameSize);
        if (this.closedWith) return;
      }
    }
  }

  private onFrame(whole: Buffer, length: number): void {
    const frame = whole.subarray(0, length);
    const correlationId = frame.readInt32BE(4);
    const req = this.inFlight.get(correlationId);
    if (!req) {
      this.fail(this.protocolError(`answer to unknown correlation id ${correlationId}`));
      return;
    }
    this.inFlight.delete(correlationId);
    clearTimeout(req.timer);
    req.resolve(new WireReader(frame, 8, frame.length, () => this.frames.release(whole)));
  }

  private fail(err: RoutemeterError): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const req of this.inFlight.values()) {
      clearTimeout(req.timer);
      req.reject(err);
    }
    this.inFlight.clear();
    this.frame = null;
    this.sizeFilled = 0;
    this.socket.destroy();
  }

  private connectionError(why: string, cause?: unknown): RoutemeterError {
    return new RoutemeterError('RM_ERR_KAFKA_CONNECTION', `broker ${this.address}: ${why}`, { cause });
  }

  private protocolError(why: string): RoutemeterError {
    return new RoutemeterError('RM_ERR_KAFKA_PROTOCOL', `broker ${this.address}: ${why}`);
  }
}

/** A connected socket (TLS handshake done), or RM_ERR_KAFKA_CONNECTION / RM_ERR_TIMEOUT. */
/**
 * Where a plain TCP socket's bytes go: read by Node into one fixed buffer (`onread`)
 * instead of a new Buffer per read, which is external memory V8 must collect
 * (frame-pool.ts says what that cost). `target` is set by the connection; the broker
 * sends nothing before the first request, so no byte arrives before it is.
 */
interface SocketReader {
  target: ((chunk: Buffer, n: number) => void) | null;
}

const READ_BUFFER_BYTES = 256 * 1024;

function openSocket(
  opts: BrokerConnectionOptions,
): Promise<{ socket: net.Socket; reader: SocketReader | null }> {
  const { host, port, ssl, connectTimeoutMs } = opts;
  return new Promise((resolve, reject) => {
    // TLS sockets have no `onread`: they emit a Buffer per decrypted record.
    const reader: SocketReader | null = ssl ? null : { target: null };
    const socket = ssl
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...brokerTlsOptions(ssl) })
      : net.connect({
          host,
          port,
          onread: {
            buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
            callback: (n: number, buf: Uint8Array) => {
              const target = reader!.target;
              if (target === null) {
                socket.destroy(new Error('bytes from the broker before any request'));
                return false;
              }
              target(buf as Buffer, n);
              return true;
            },
          },
        });
    const ready = ssl ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new RoutemeterError(
          'RM_ERR_TIMEOUT',
          `broker ${host}:${port}: no connection within ${connectTimeoutMs} ms`,
        ),
      );
    }, connectTimeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new RoutemeterError('RM_ERR_KAFKA_CONNECTION', `broker ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      resolve({ socket, reader });
    });
  });
}
