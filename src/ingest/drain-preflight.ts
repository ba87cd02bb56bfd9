import type { IncomingMessage } from 'node:http';
import type { Admission, Admitted } from './admission.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { DrainAuth } from './drain-auth.js';
import type { DrainMetrics } from './drain-metrics.js';
import { header, type Refusal } from './drain-reply.js';

/**
 * Everything decided from a drain request's headers, before its body is read:
 *
 *   closing                      ─▶ 503 closing          (Connection: close)
 *   address throttled            ─▶ 429 auth_throttled   (credentials not even checked)
 *   credentials / token refused  ─▶ 401                  (counted toward the address's throttle)
 *   Content-Type ≠ application/logplex-1 ─▶ 415
 *   Content-Encoding ≠ identity  ─▶ 415 content_encoding (see below)
 *   Content-Length > max         ─▶ 413
 *   admission (in flight, queued bytes) ─▶ 503 inflight | queued_bytes (Retry-After: 1)
 *
 * Content-Encoding: logplex never compresses its posts, so the drain decodes nothing and
 * answers 415 for any coding but `identity`. Decoding gzip would need a bound against
 * decompression bombs and CPU on the HTTP thread for a client that does not exist; a 415
 * is a clear, counted answer, where the old behaviour (204, every line dropped as garbage)
 * lost data silently.
 */
export interface PreflightDeps {
  auth: DrainAuth;
  throttle: AuthThrottle;
  admission: Admission;
  metrics: DrainMetrics;
  maxBodyBytes: number;
  trustProxy: boolean;
  isClosing: () => boolean;
}

export type Preflight =
  | { ok: true; user: string | null; contentLength: number; admitted: Admitted }
  | { ok: false; refusal: Refusal };

const CONTENT_TYPE = 'application/logplex-1';

/**
 * The peer's address: the socket's, or behind Heroku's router (DRAIN_TRUST_PROXY=true) the
 * last `X-Forwarded-For` entry, which the router appends (earlier entries are the client's word).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = header(req, 'x-forwarded-for');
    const comma = xff.lastIndexOf(',');
    const last = (comma < 0 ? xff : xff.slice(comma + 1)).trim();
    if (last !== '') return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

export function preflight(req: IncomingMessage, deps: PreflightDeps, address: string): Preflight {
  if (deps.isClosing()) {
    return {
      ok: false,
      refusal: {
        status: 503,
        reason: 'closing',
        text: 'closing\n',
        headers: { 'retry-after': '1' },
        close: true,
      },
    };
  }
  if (deps.throttle.throttled(address)) {
    return {
      ok: false,
      refusal: {
        status: 429,
        reason: 'auth_throttled',
        text: 'too many failed authentications\n',
        headers: { 'retry-after': '60' },
        close: true,
      },
    };
  }
  const auth = deps.auth(req.headers);
  if (!auth.ok) {
    deps.throttle.failure(address, auth.reason);
    deps.metrics.authFailures.inc({ reason: auth.reason });
    return {
      ok: false,
      refusal: {
        status: 401,
        reason: auth.reason,
        text: 'unauthorized\n',
        headers: { 'www-authenticate': 'Basic realm="routemeter"' },
        close: true,
      },
    };
  }
  const contentType = header(req, 'content-type');
  const semi = contentType.indexOf(';');
  const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mediaType !== CONTENT_TYPE) {
    return {
      ok: false,
      refusal: { status: 415, reason: 'content_type', text: `expected ${CONTENT_TYPE}\n`, close: true },
    };
  }
  const encoding = header(req, 'content-encoding').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return {
      ok: false,
      refusal: {
        status: 415,
        reason: 'content_encoding',
        text: `Content-Encoding ${encoding.slice(0, 40)} is not accepted: send the body uncompressed\n`,
        headers: { 'accept-encoding': 'identity' },
        close: true,
      },
    };
  }
  const lengthHeader = header(req, 'content-length');
  const contentLength = lengthHeader === '' ? -1 : Number(lengthHeader);
  if (contentLength > deps.maxBodyBytes) {
    return {
      ok: false,
      refusal: {
        status: 413,
        reason: 'too_large',
        text: `body larger than ${deps.maxBodyBytes} bytes\n`,
        close: true,
      },
    };
  }
  const admitted = deps.admission.admit(contentLength >= 0 ? contentLength : deps.maxBodyBytes);
  if (!admitted.ok) {
    deps.metrics.admissionRefused.inc({ reason: admitted.reason });
    return {
      ok: false,
      refusal: {
        status: 503,
        reason: admitted.reason,
        text: `drain busy (${admitted.reason})\n`,
        headers: { 'retry-after': '1' },
      },
    };
  }
  return { ok: true, user: auth.user, contentLength, admitted };
}
