// Must stay first: see node-fetch-first.ts.
import './node-fetch-first.js';
import { Agent, errors as undiciErrors } from 'undici';
import type { ReplayOutcome } from './divergence-report.js';

/**
 * Sends one replayed request and says what came back. undici, one Agent for all
 * targets: keep-alive connections per origin, at most `connections` per origin
 * (the concurrency cap holds anyway; this keeps idle sockets bounded), a custom CA
 * for staging's certificate (`--ca`), never a redirect followed (undici's `request`
 * follows none; a 3xx is an answer to compare, and following it could leave
 * staging). The body is read to the end, so the latency covers the whole response
 * as the router's `service=` does, and the connection goes back to the pool.
 *
 * A request whose headers do not arrive within `timeoutMs`, or whose body stalls for
 * `timeoutMs`, is a `timeout`; a refused or reset connection, a TLS failure, … is an `error` with
 * undici's or Node's code.
 */
/** The code of a request the caller aborted (shutdown); such requests are left out of the report. */
export const ABORTED = 'ABORTED';

export interface SenderOptions {
  timeoutMs: number;
  connections: number;
  /** PEM bundle trusted for https targets (replaces the system roots when given) */
  ca?: string | Buffer;
}

export interface OutgoingRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
}

export interface ReplaySender {
  send(req: OutgoingRequest, signal?: AbortSignal): Promise<ReplayOutcome>;
  close(): Promise<void>;
}

function isTimeout(err: unknown): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    (err as { name?: string }).name === 'TimeoutError'
  );
}

export function createReplaySender(options: SenderOptions): ReplaySender {
  const agent = new Agent({
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: Math.min(options.timeoutMs, 10_000),
    connect: options.ca === undefined ? {} : { ca: options.ca, rejectUnauthorized: true },
  });
  return {
    async send(req, signal) {
      const started = performance.now();
      try {
        // The per-request timeout is undici's headersTimeout and bodyTimeout (set on the
        // Agent): no timer or AbortSignal per request, which cost ~30% of the rate here.
        const res = await agent.request({
          origin: req.origin,
          path: req.path,
          method: req.method as 'GET',
          headers: req.headers,
          signal,
        });
        // Drained (not buffered): the latency covers the whole body, and the socket is
        // reusable. Events, not `for await`: no promise per chunk.
        await new Promise<void>((resolve, reject) => {
          res.body.on('end', resolve).on('error', reject).resume();
        });
        return { kind: 'response', status: res.statusCode, latencyMs: performance.now() - started };
      } catch (err) {
        const latencyMs = performance.now() - started;
        // Cut short by the caller (shutdown): not an answer of the target's.
        if (signal?.aborted) return { kind: 'error', latencyMs, code: ABORTED };
        if (isTimeout(err)) return { kind: 'timeout', latencyMs };
        const code = (err as { code?: string }).code ?? (err as Error).name ?? 'UNKNOWN';
        return { kind: 'error', latencyMs, code };
      }
    },
    close: () => agent.close(),
  };
}
