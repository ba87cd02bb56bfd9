import net from 'node:net';

/**
 * An HTTP/1.1 client that behaves like logplex and many simple clients: it writes the
 * whole request (head and body) before it reads a byte of the answer. Node's fetch reads
 * while it writes, so it cannot show a server that answers and closes mid-body.
 *
 * Resolves with the status line's code and the raw answer, or with `error` (EPIPE,
 * ECONNRESET) when the connection broke before an answer could be read.
 */
export interface RawAnswer {
  status: number;
  raw: string;
  error: string | null;
  /** ms from connect to the first answer byte (or the error) */
  ms: number;
}

export interface RawRequestOptions {
  /** write the body in pieces this big, waiting for each write to be flushed */
  chunkBytes?: number;
  /** end our side after writing (default false: HTTP/1.1 clients keep it open) */
  endAfterWrite?: boolean;
  timeoutMs?: number;
}

export function rawRequest(
  port: number,
  head: string,
  body: Buffer,
  opts: RawRequestOptions = {},
): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let firstByte = -1;
    const done = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      resolve({
        status: m ? Number(m[1]) : 0,
        raw,
        error: m ? null : error,
        ms: (firstByte >= 0 ? firstByte : performance.now()) - started,
      });
    };
    const timer = setTimeout(() => done('timeout'), opts.timeoutMs ?? 30_000);
    // Not read until everything is written: pause, as a write-then-read client does.
    socket.pause();
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.on('connect', async () => {
      try {
        await write(socket, Buffer.from(head, 'latin1'));
        const step = opts.chunkBytes ?? 64 * 1024;
        for (let i = 0; i < body.length; i += step) await write(socket, body.subarray(i, i + step));
        if (opts.endAfterWrite) socket.end();
      } catch (err) {
        done((err as NodeJS.ErrnoException).code ?? 'write failed');
        return;
      }
      socket.on('data', (c: Buffer) => {
        if (firstByte < 0) firstByte = performance.now();
        chunks.push(c);
        // one answer is enough: the head and a Content-Length body
        const text = Buffer.concat(chunks).toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end >= 0) {
          const len = /content-length: (\d+)/i.exec(text.slice(0, end));
          if (!len || text.length >= end + 4 + Number(len[1])) done(null);
        }
      });
      socket.on('end', () => done('closed'));
      socket.resume();
    });
  });
}

function write(socket: net.Socket, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}

/** The head of a POST with these headers (Content-Length is the caller's to give, or lie about). */
export function postHead(path: string, headers: Record<string, string>): string {
  let head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return `${head}\r\n`;
}
