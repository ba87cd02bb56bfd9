import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type HealthChecks, runHealthCheck, serveHealthRoute } from '../../src/telemetry/health-routes.js';

async function serve(checks: HealthChecks): Promise<string> {
  const server = createServer((req, res) => {
    if (!serveHealthRoute(req.url ?? '/', req, res, checks)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('health routes', () => {
  it('normalises booleans, throws and timeouts into {ok, reasons}', async () => {
    expect(await runHealthCheck(() => true)).toEqual({ ok: true, reasons: [] });
    expect(await runHealthCheck(() => false)).toEqual({ ok: false, reasons: [] });
    expect(
      await runHealthCheck(() => {
        throw new Error('boom');
      }),
    ).toEqual({ ok: false, reasons: ['check failed: boom'] });
    expect(await runHealthCheck(() => new Promise(() => {}), 50)).toEqual({
      ok: false,
      reasons: ['check timed out after 50 ms'],
    });
  });

  it('serves /healthz and /readyz with 200/503 and the reasons, and leaves other paths alone', async () => {
    let ready = { ok: false, reasons: ['kafka: down'] };
    const base = await serve({ live: () => true, ready: async () => ready });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, reasons: ['kafka: down'] });
    ready = { ok: true, reasons: ['redis: down (dedupe degraded)'] };
    const ok = await fetch(`${base}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(ready);
    expect((await fetch(`${base}/readyz`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/readyz`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });
});
