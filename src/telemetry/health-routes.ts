import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `/healthz` (liveness) and `/readyz` (readiness), the same for every routemeter process:
 * the drain serves them on `$PORT`, the runtime on `METRICS_PORT` (metrics-server.ts).
 *
 *   GET|HEAD /healthz  ─▶ live()  ─▶ 200 {"ok":true,"reasons":[]} | 503 {"ok":false,"reasons":["…"]}
 *   GET|HEAD /readyz   ─▶ ready() ─▶ the same shape
 *
 * A check returns `{ ok, reasons }` (reasons say why not, or what is degraded while still ok),
 * or a plain boolean; it may be async. A check that throws or does not answer within
 * `timeoutMs` is a 503 with the reason, never a hung probe.
 */
export interface HealthStatus {
  ok: boolean;
  reasons: string[];
}

export type HealthCheck = () => HealthStatus | boolean | Promise<HealthStatus | boolean>;

export interface HealthChecks {
  live?: HealthCheck;
  ready?: HealthCheck;
  /** how long a check may take before the probe answers 503 (default 2000 ms) */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;

/** Runs a check, normalising a boolean, a throw and a timeout into a HealthStatus. */
export async function runHealthCheck(
  check: HealthCheck,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<HealthStatus>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reasons: [`check timed out after ${timeoutMs} ms`] }),
          timeoutMs,
        );
      }),
    ]);
    return typeof result === 'boolean' ? { ok: result, reasons: [] } : result;
  } catch (err) {
    return { ok: false, reasons: [`check failed: ${(err as Error)?.message ?? String(err)}`] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Answers `/healthz` and `/readyz` for GET and HEAD; returns false (and writes nothing)
 * for any other path or method, so the caller routes the request on.
 */
export function serveHealthRoute(
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  checks: HealthChecks,
): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path !== '/healthz' && path !== '/readyz') return false;
  const check = (path === '/healthz' ? checks.live : checks.ready) ?? (() => true);
  runHealthCheck(check, checks.timeoutMs).then((status) => {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(status);
    res
      .writeHead(status.ok ? 200 : 503, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      })
      .end(req.method === 'HEAD' ? undefined : body);
  });
  return true;
}
