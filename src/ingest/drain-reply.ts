import type { IncomingMessage, ServerResponse } from 'node:http';
import { discardBody } from './body-reader.js';

/** The value of a request header (the first one, if repeated), '' when absent. */
export function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
}

/** A short text answer; does nothing when the headers are already out. */
export function reply(
  res: ServerResponse,
  status: number,
  body = '',
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { ...extra };
  if (body.length > 0) {
    headers['content-type'] = 'text/plain; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(body);
  }
  res.writeHead(status, headers);
  res.end(body);
}

/** A request refused before (or while) its body was read. */
export interface Refusal {
  status: number;
  /** bounded: becomes a log field and, for 503, a metric label */
  reason: string;
  text: string;
  headers?: Record<string, string>;
  /** close the connection after answering (the peer is not one to keep talking to) */
  close?: boolean;
}

/**
 * Answers a refusal so that a client which writes its whole body before reading can read
 * it: the rest of the body is read and dropped first (up to `discardMaxBytes`, see
 * body-reader.ts), then the answer goes out. Past the bound the answer goes out anyway with
 * `Connection: close` (that client may see a reset; it sent more than any batch may be).
 */
export async function answerRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  refusal: Refusal,
  discardMaxBytes: number,
  alreadyRead = 0,
): Promise<'drained' | 'over_bound' | 'aborted'> {
  const lengthHeader = header(req, 'content-length');
  const contentLength = lengthHeader === '' ? -1 : Number(lengthHeader);
  const discarded = await discardBody(
    req,
    discardMaxBytes,
    Number.isFinite(contentLength) ? contentLength : Number.MAX_SAFE_INTEGER,
    alreadyRead,
  );
  const close = refusal.close === true || discarded !== 'drained';
  reply(res, refusal.status, refusal.text, {
    ...refusal.headers,
    ...(close ? { connection: 'close' } : {}),
  });
  return discarded;
}
