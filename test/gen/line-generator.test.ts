import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { createRouterEvent } from '../../src/logplex/router-event.js';
import { parseRouterEvent, parseRouterLine } from '../../src/logplex/router-line.js';
import { createSyslogHeader, parseSyslogHeader } from '../../src/logplex/syslog-header.js';

describe('createLineGenerator', () => {
  it('is deterministic for a seed', () => {
    const a = createLineGenerator({ seed: 7 });
    const b = createLineGenerator({ seed: 7 });
    const c = createLineGenerator({ seed: 8 });
    const la = Array.from({ length: 200 }, () => a().line);
    expect(Array.from({ length: 200 }, () => b().line)).toEqual(la);
    expect(Array.from({ length: 200 }, () => c().line)).not.toEqual(la);
  });

  it('has at least 1000 route shapes across at least 50 apps by default', () => {
    const gen = createLineGenerator({ seed: 1 });
    expect(gen.catalog.length).toBeGreaterThanOrEqual(50);
    const shapes = new Set(
      gen.catalog.flatMap((a) => a.routes.map((r) => `${a.host} ${r.method} ${r.template}`)),
    );
    expect(shapes.size).toBeGreaterThanOrEqual(1000);
  });

  it('router lines parse back to the fields that were generated', () => {
    const gen = createLineGenerator({ seed: 3 });
    const ev = createRouterEvent();
    let router = 0;
    for (let i = 0; i < 5000; i++) {
      const g = gen();
      const buf = Buffer.from(g.line);
      const h = createSyslogHeader();
      expect(parseSyslogHeader(buf, 0, buf.length, h)).toBe(true);
      if (g.kind !== 'router') {
        expect(parseRouterEvent(buf, 0, buf.length, ev)).toBe(false);
        continue;
      }
      router++;
      expect(parseRouterEvent(buf, 0, buf.length, ev)).toBe(true);
      expect(ev).toMatchObject({
        timestampMs: g.timestampMs,
        app: g.app,
        method: g.method,
        path: g.path,
        status: g.status,
        serviceMs: g.serviceMs,
        connectMs: g.connectMs,
        bytes: g.bytes,
        code: g.code,
      });
    }
    expect(router).toBeGreaterThan(4500);
  });

  it('looks like real traffic: Zipf-skewed routes, ids in paths, H-codes, noise', () => {
    const gen = createLineGenerator({ seed: 11 });
    const perRoute = new Map<string, number>();
    const paths = new Set<string>();
    const codes = new Map<string, number>();
    const kinds = { router: 0, app: 0, platform: 0 };
    const services: number[] = [];
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const g = gen();
      kinds[g.kind]++;
      if (g.kind !== 'router') continue;
      const key = `${g.app} ${g.method} ${g.route}`;
      perRoute.set(key, (perRoute.get(key) ?? 0) + 1);
      paths.add(g.path);
      if (g.code) codes.set(g.code, (codes.get(g.code) ?? 0) + 1);
      if (g.serviceMs >= 0) services.push(g.serviceMs);
    }
    const counts = [...perRoute.values()].sort((a, b) => b - a);
    const top10 = counts.slice(0, 10).reduce((x, y) => x + y, 0);
    expect(top10 / kinds.router).toBeGreaterThan(0.1); // hot routes
    expect(counts.length).toBeGreaterThan(500); // long tail
    expect(paths.size).toBeGreaterThan(perRoute.size * 2); // ids make many paths per route
    for (const code of ['H10', 'H12', 'H27']) expect(codes.get(code) ?? 0).toBeGreaterThan(0);
    expect(kinds.app).toBeGreaterThan(0);
    expect(kinds.platform).toBeGreaterThan(0);
    services.sort((a, b) => a - b);
    const median = services[Math.floor(services.length / 2)]!;
    const p99 = services[Math.floor(services.length * 0.99)]!;
    expect(median).toBeGreaterThan(5);
    expect(median).toBeLessThan(500);
    expect(p99).toBeGreaterThan(median * 5); // a heavy tail
  });

  it('H10 lines have empty dyno, connect, service and bytes; H12 has service=30000ms', () => {
    const gen = createLineGenerator({ seed: 5 });
    let h10 = 0;
    let h12 = 0;
    for (let i = 0; i < 40_000 && (h10 === 0 || h12 === 0); i++) {
      const g = gen();
      if (g.code === 'H10') {
        h10++;
        const f = parseRouterLine(g.line.slice(g.line.indexOf(' - ') + 3));
        expect([f.dyno, f.connect, f.service, f.bytes, f.status]).toEqual(['', '', '', '', '503']);
      }
      if (g.code === 'H12') {
        h12++;
        expect(g.line).toContain('service=30000ms status=503');
      }
    }
    expect(h10).toBeGreaterThan(0);
    expect(h12).toBeGreaterThan(0);
  });
});
