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
/** Listens to the request until `settle` is called once; removes its listeners then. */
function listen<R>(
  req: IncomingMessage,
  onData: (chunk: Buffer, settle: (r: R) => void) => void,
  onEnd: () => R,
  aborted: R,
): Promise<R> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (r: R) => {
      if (done) return;
      done = true;
      req.off('data', data);
      req.off('end', end);
      req.off('error', abort);
      req.off('aborted', abort);
      resolve(r);
    };
    const data = (chunk: Buffer) => onData(chunk, settle);
    const end = () => settle(onEnd());
    const abort = () => settle(aborted);
    req.on('data', data);
    req.on('end', end);
    req.on('error', abort);
    req.on('aborted', abort);
  });
}

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large'; received: number }
  | { ok: false; reason: 'aborted' };

/** Reads the whole body, counting streamed bytes against the limit (chunked bodies have no Content-Length). */
export function readBody(req: IncomingMessage, maxBytes: number, contentLength: number): Promise<BodyResult> {
  const preallocated = contentLength >= 0 ? Buffer.allocUnsafe(contentLength) : null;
  const chunks: Buffer[] = [];
  let size = 0;
  return listen<BodyResult>(
    req,
    (chunk, settle) => {
      if (size + chunk.length > maxBytes || (preallocated && size + chunk.length > preallocated.length)) {
        req.pause();
        settle({ ok: false, reason: 'too_large', received: size + chunk.length });
        return;
      }
      if (preallocated) chunk.copy(preallocated, size);
      else chunks.push(chunk);
      size += chunk.length;
    },
    () =>
      preallocated
        ? { ok: true, body: size === preallocated.length ? preallocated : preallocated.subarray(0, size) }
        : // Always a copy: the body's memory is later transferred to the producer thread,
          // and socket chunks may share memory Node still uses.
          { ok: true, body: Buffer.concat(chunks, size) },
    { ok: false, reason: 'aborted' },
  );
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
  let size = alreadyRead;
  const result = listen<DiscardResult>(
    req,
    (chunk, settle) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        settle('over_bound');
      }
    },
    () => 'drained',
    'aborted',
  );
  req.resume();
  return result;
}
