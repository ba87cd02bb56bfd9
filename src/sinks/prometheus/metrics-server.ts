import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process is alive)
 * and `/readyz` (it does its job now) on its own port, so scrapes never queue
 * behind drain traffic. A check may name its reasons; they are in the answer:
 *
 *   503 {"ok":false,"reasons":["store unreachable (Redis PING)"]}
 */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export type HealthCheck = () => boolean | { ok: boolean; reasons: string[] };

export async function startMetricsServer(
  registry: Registry,
  port: number,
  health: HealthCheck = () => true,
  ready: HealthCheck = health,
  host = '0.0.0.0',
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics collection failed: ${err.message}\n`);
        });
      return;
    }
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const answer = path === '/healthz' ? health() : ready();
      const status = typeof answer === 'boolean' ? { ok: answer } : answer;
      res.writeHead(status.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
