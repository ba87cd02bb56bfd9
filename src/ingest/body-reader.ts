import type { IncomingMessage } from 'node:http';

/**
 * Reading a drain request's body, and throwing one away.
 *
 * `readBody` keeps at most `maxBytes` (Content-Length, when given, preallocates one
 * buffer; chunked bodies are counted while streaming). `discardBody` is for a request
 * refused before its body was read (413, 401, 429, 503): answering at once with
 * `Connection: close` resets the socket under a client that is still writing (logplex,
 * like most HTTP/1.1 clients, writes the whole body before it reads), so that client
 * sees a connection error instead of the status, and retries a batch that can never pass.
 * Reading the rest and dropping it, up to a bound, lets it read the answer.
 */
export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large'; received: number }
  | { ok: false; reason: 'aborted' };

/** Reads the whole body, counting streamed bytes against the limit (chunked bodies have no Content-Length). */
export function readBody(req: IncomingMessage, maxBytes: number, contentLength: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const preallocated = contentLength >= 0 ? Buffer.allocUnsafe(contentLength) : null;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > maxBytes || (preallocated && size + chunk.length > preallocated.length)) {
        req.pause();
        finish({ ok: false, reason: 'too_large', received: size + chunk.length });
        return;
      }
      if (preallocated) chunk.copy(preallocated, size);
      else chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      if (preallocated)
        finish({
          ok: true,
          body: size === preallocated.length ? preallocated : preallocated.subarray(0, size),
        });
      // Always a copy: the body's memory is later transferred to the producer thread,
      // and socket chunks may share memory Node still uses.
      else finish({ ok: true, body: Buffer.concat(chunks, size) });
    };
    const onAbort = () => finish({ ok: false, reason: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
  });
}

export type DiscardResult = 'drained' | 'over_bound' | 'aborted';

/**
 * Reads and drops the rest of the body (nothing is kept) until it ends, or until
 * `alreadyRead + dropped` passes `maxBytes` (then the caller answers and closes: a client
 * that sends more than that cannot be helped). A declared Content-Length over the bound
 * is `over_bound` at once, without reading. Slow senders are cut by the server's request
 * timeout, as for any body.
 */
export function discardBody(
  req: IncomingMessage,
  maxBytes: number,
  contentLength: number,
  alreadyRead = 0,
): Promise<DiscardResult> {
  if (req.readableEnded || req.complete) return Promise.resolve('drained');
  if (contentLength > maxBytes) return Promise.resolve('over_bound');
  return new Promise((resolve) => {
    let size = alreadyRead;
    let done = false;
    const finish = (r: DiscardResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('aborted', onAbort);
      if (r === 'over_bound') req.pause();
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish('over_bound');
    };
    const onEnd = () => finish('drained');
    const onAbort = () => finish('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('aborted', onAbort);
    req.resume();
  });
}
