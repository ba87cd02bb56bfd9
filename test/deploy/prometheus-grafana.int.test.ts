import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrainMetrics } from '../../src/ingest/drain-metrics.js';
import { type RunningRuntime, runRuntime } from '../../src/runtime/run-runtime.js';
import { registerProcessMetrics } from '../../src/sinks/prometheus/process-metrics.js';
import { AUTH, post, useDrain } from '../ingest/drain-fixture.js';
import { SAMPLE_FRAMES } from '../logplex/samples.js';
import {
  metricSum,
  runtimeConfig,
  seed,
  testLogger,
  testRedis,
  waitFlushed,
} from '../runtime/runtime-harness.js';
import { createTopic, deleteTopic, uniqueName, waitFor } from '../support/kafka.js';
import { makeRouterLines } from '../support/router-lines.js';

/**
 * What deploy/ ships, checked with Debian's promtool (scripts/install-prometheus.sh)
 * and against the metrics the code really exports:
 * - deploy/prometheus: `promtool check config`, `check rules`, `test rules` (each alert
 *   fires and does not fire, the lag alert during a simulated stall);
 * - the runtime's /metrics after real traffic: `promtool check metrics` finds nothing;
 * - every metric a rule or a Grafana panel queries is one the runtime or the drain exports.
 * The slow part (a runtime over real traffic) runs once, in beforeAll.
 */
const deploy = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));

function promtool(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, {
    input,
    encoding: 'utf8',
    cwd: deploy('prometheus'),
    timeout: 60_000,
  });
  if (r.error)
    throw new Error(`promtool not runnable (bash scripts/install-prometheus.sh): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Metric families named in a scrape (# TYPE lines), with the series names a histogram adds. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

/** The `expr:` values of a rules file: one line, or a `|` block of more-indented lines. */
function ruleExpressions(yaml: string): string[] {
  const out: string[] = [];
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr: (.*)$/.exec(lines[i]!);
    if (!m) continue;
    if (m[2] !== '|') {
      out.push(m[2]!);
      continue;
    }
    const block: string[] = [];
    while (
      i + 1 < lines.length &&
      (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > m[1]!.length)
    ) {
      block.push(lines[++i]!);
    }
    out.push(block.join('\n'));
  }
  return out;
}

/** Metric names a PromQL expression reads (recording rules' own names contain ':' and are skipped). */
function referencedNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '');
  return [...withoutLabels.matchAll(/(?<![:\w])((?:routemeter|process|nodejs)_[a-z0-9_]+)(?![:\w])/g)].map(
    (m) => m[1]!,
  );
}

describe('deploy/: Prometheus rules and Grafana dashboard (promtool, real runtime)', () => {
  let runtimeMetrics = '';
  let drainMetrics = '';
  const topic = uniqueName('deploy-metrics');

  afterAll(() => deleteTopic(topic));

  beforeAll(async () => {
    await createTopic(topic, 2);
    const lines = makeRouterLines(3000, { seed: 21, apps: 4 });
    await seed(topic, lines);
    const config = runtimeConfig(topic, { PROM_ROUTE_LIMIT: '20' });
    const redis = testRedis(config);
    let runtime: RunningRuntime | null = null;
    try {
      runtime = await runRuntime(config, testLogger, { metricsPort: 0 });
      await waitFlushed(redis, config);
      const url = `http://127.0.0.1:${runtime.metrics.port}/metrics`;
      await waitFor(
        async () =>
          metricSum(await (await fetch(url)).text(), 'routemeter_route_requests_total') === lines.length,
        { timeoutMs: 15_000, message: 'per-route series hold every request' },
      );
      runtimeMetrics = await (await fetch(url)).text();
      // Kept for people (and CI artifacts): what promtool was given.
      mkdirSync('.stack', { recursive: true });
      writeFileSync('.stack/runtime-metrics.txt', runtimeMetrics);
    } finally {
      await runtime?.stop();
      redis.disconnect();
    }
    // The drain's metric families, as its module registers them (names only are compared).
    const drainRegistry = new Registry();
    createDrainMetrics(drainRegistry);
    drainMetrics = await drainRegistry.metrics();
  });

  it('promtool: the shipped config and rules are valid, and the rule unit tests pass', () => {
    const config = promtool(['check', 'config', 'prometheus.yml']);
    expect(config.out).toContain('SUCCESS');
    expect(config.code, config.out).toBe(0);
    const rules = promtool(['check', 'rules', 'rules.yml']);
    expect(rules.code, rules.out).toBe(0);
    const tests = promtool(['test', 'rules', 'rules.test.yml']);
    expect(tests.out).toContain('SUCCESS');
    expect(tests.code, tests.out).toBe(0);
  });

  it('promtool check metrics reports nothing on the runtime /metrics after real traffic', () => {
    expect(runtimeMetrics).toContain('routemeter_route_service_seconds_bucket{');
    const lint = promtool(['check', 'metrics'], runtimeMetrics);
    expect(lint.out.trim()).toBe('');
    expect(lint.code).toBe(0);
  });

  it('promtool check metrics reports nothing on the drain /metrics after real traffic', async () => {
    const drain = await useDrain();
    // as `routemeter drain` does (cli/drain-command.ts)
    registerProcessMetrics(drain.registry);
    const res = await post(drain.url, SAMPLE_FRAMES.map((f) => `${f}\n`).join(''), {
      'content-type': 'application/logplex-1',
      'logplex-msg-count': String(SAMPLE_FRAMES.length),
      'logplex-frame-id': uniqueName('frame'),
      authorization: AUTH,
    });
    expect(res.status).toBe(204);
    const text = await (await fetch(`http://127.0.0.1:${drain.port}/metrics`)).text();
    writeFileSync('.stack/drain-metrics.txt', text);
    expect(text).toContain('routemeter_drain_request_duration_seconds_bucket{');
    expect(text).toContain('process_cpu_seconds_total');
    const lint = promtool(['check', 'metrics'], text);
    expect(lint.out.trim()).toBe('');
    expect(lint.code).toBe(0);
  });

  it('exports standard process/Node names, per-route histograms summing to the requests, the busiest routes only', () => {
    const names = exportedNames(runtimeMetrics);
    for (const n of [
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'routemeter_worker_heap_used_bytes',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    expect([...names].some((n) => n.startsWith('routemeter_process_'))).toBe(false);
    const requests = metricSum(runtimeMetrics, 'routemeter_route_requests_total');
    const inf = metricSum(runtimeMetrics, 'routemeter_route_service_seconds_bucket', 'le="+Inf"');
    expect(metricSum(runtimeMetrics, 'routemeter_route_service_seconds_count')).toBe(inf);
    expect(inf).toBeGreaterThan(0.9 * requests); // requests without a service time have no observation
    const routes = new Set(
      [...runtimeMetrics.matchAll(/^routemeter_route_service_seconds_count\{([^}]*)\}/gm)].map((m) => m[1]),
    );
    // PROM_ROUTE_LIMIT=20 routes of their own plus at most one __other__ per app (4 apps)
    expect(routes.size).toBeLessThanOrEqual(24);
    expect([...routes].some((l) => l!.includes('route="__other__"'))).toBe(true);
  });

  it('every metric the rules and the Grafana dashboard query is exported by the runtime or the drain', () => {
    const exported = new Set([...exportedNames(runtimeMetrics), ...exportedNames(drainMetrics)]);
    const exprs: string[] = [];
    const rules = readFileSync(deploy('prometheus/rules.yml'), 'utf8');
    exprs.push(...ruleExpressions(rules));
    const dashboard = JSON.parse(readFileSync(deploy('grafana/dashboards/routemeter.json'), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ definition: string }> };
    };
    for (const p of dashboard.panels) for (const t of p.targets ?? []) exprs.push(t.expr);
    for (const v of dashboard.templating.list) exprs.push(v.definition);
    expect(exprs.length).toBeGreaterThan(25); // 18 rules and 22 panel queries, at least
    const referenced = new Set(exprs.flatMap(referencedNames));
    expect(referenced.size).toBeGreaterThan(10);
    const missing = [...referenced].filter((n) => !exported.has(n));
    expect(missing).toEqual([]);
    for (const needed of [
      'routemeter_route_service_seconds_bucket',
      'routemeter_consumer_lag_records',
      'routemeter_flush_duration_seconds_bucket',
      'routemeter_drain_requests_total',
      'routemeter_drain_upstream_dropped_total',
    ]) {
      expect(referenced.has(needed), needed).toBe(true);
    }
  });
});
