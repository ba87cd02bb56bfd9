import { Counter, Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startMetricsServer } from '../../../src/sinks/prometheus/metrics-server.js';

describe('metrics server', () => {
  it('serves /metrics and the shared health routes (boolean or {ok, reasons} checks)', async () => {
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc(3);
    let ready: boolean | { ok: boolean; reasons: string[] } = false;
    const server = await startMetricsServer(
      registry,
      0,
      () => true,
      () => ready,
      '127.0.0.1',
    );
    onTestFinished(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('x_total 3');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, reasons: [] });
    ready = { ok: false, reasons: ['all partitions paused'] };
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual(ready);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
