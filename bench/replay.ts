/**
 * bench/replay.ts: the replay's achievable rate against a local target, as a ratio
 * to a bare keep-alive HTTP load loop (autocannon-style) in the same run.
 *
 * Setup: one local HTTP server in a worker thread (bench/support/replay-target.ts),
 * 200 at once. Both contenders send the same GET paths over --connections
 * keep-alive connections, one request in flight per connection, reading every body:
 *   - reference: N loops over node:http with a keep-alive Agent (maxSockets N), each
 *     sending its next request when the last answered: the bare cost of HTTP/1.1 here;
 *   - replay: the replay's whole per-request path minus Kafka, at --speed max with no
 *     rps cap and --concurrency N: router lines (Buffers, as Kafka hands them over) →
 *     toReplayItem (parse, filters, host map, redaction, route templating) → the
 *     dispatcher (merge queue, pacing, caps, auto-stop window) → the undici sender →
 *     the divergence report (HDR histograms, reservoirs). Kafka reading is measured by
 *     bench/consume.ts and is two orders of magnitude faster than this.
 * Each contender runs --requests requests per round after a 2,000-request warm-up,
 * alternating for --rounds rounds; the line gives the median of the per-round ratios
 * (each pair measured back to back) and their range. Everything shares 2 cores.
 *
 *   npm run build && node dist/bench/replay.js [--requests 10000] [--connections 32] [--rounds 7]
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { RouteTemplater } from '../src/actors/route-template.js';
import { formatRouterLine } from '../src/logplex/router-line-format.js';
import { formatSyslogLine } from '../src/logplex/syslog-frame-format.js';
import { DivergenceReport } from '../src/replay/divergence-report.js';
import { createHostMap } from '../src/replay/host-map.js';
import { DEFAULT_REDACTED_PARAMS, queryRules } from '../src/replay/query-redaction.js';
import { ReplayDispatcher } from '../src/replay/replay-dispatcher.js';
import { createReplayFilter } from '../src/replay/replay-filter.js';
import { toReplayItem } from '../src/replay/replay-item.js';
import { createReplaySender } from '../src/replay/replay-sender.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '7' },
  },
});
const REQUESTS = Number(values.requests);
const CONNS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const WARMUP = 2000;

const PATHS = [
  '/',
  '/users/%d',
  '/users/%d/orders',
  '/search?q=%d&token=abc',
  '/assets/app.css',
  '/items/%d',
];
const pathOf = (i: number) => (PATHS[i % PATHS.length] as string).replace('%d', String((i * 7919) % 100_000));

function routerLines(n: number, t0: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const message = formatRouterLine({
      at: 'info',
      method: 'GET',
      path: pathOf(i),
      host: `app-${i % 5}.example.com`,
      request_id: `r-${i}`,
      fwd: '10.0.0.1',
      dyno: 'web.1',
      connect: '0ms',
      service: `${5 + (i % 40)}ms`,
      status: 200,
      bytes: 12,
      protocol: 'https',
    });
    out.push(
      Buffer.from(formatSyslogLine({ timestampMs: t0 + i, app: 'heroku', procid: 'router', message })),
    );
  }
  return out;
}

async function bareLoop(port: number, n: number): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONNS });
  let next = 0;
  const one = (path: string) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      while (next < n) await one(pathOf(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return n / seconds;
}

async function replayRun(port: number, lines: Buffer[]): Promise<number> {
  const logger = pino({ level: 'silent' });
  const sender = createReplaySender({ timeoutMs: 10_000, connections: CONNS });
  const report = new DivergenceReport();
  const dispatcher = new ReplayDispatcher(
    {
      speed: Number.POSITIVE_INFINITY,
      rps: Number.POSITIVE_INFINITY,
      concurrency: CONNS,
      stop: { ratio: 0.5, windowMs: 30_000, minRequests: 20 },
      dryRun: false,
      markerHeader: 'x-routemeter-replay',
      authorization: null,
      userAgent: 'routemeter-replay/bench',
      shutdownGraceMs: 10_000,
      leadMs: 0,
    },
    { sender, report, metrics: null, logger },
  );
  const ctx = {
    filter: createReplayFilter({}),
    hostMap: createHostMap(`http://127.0.0.1:${port}`, new Map()),
    query: queryRules(DEFAULT_REDACTED_PARAMS, []),
    templater: new RouteTemplater(),
    fromMs: null,
    toMs: null,
  };
  const started = performance.now();
  const running = dispatcher.run();
  for (const line of lines) {
    const r = toReplayItem(line, 0, ctx);
    if (r.ok) dispatcher.push(r.item);
  }
  dispatcher.finishInput('end_of_range');
  await running;
  const seconds = (performance.now() - started) / 1000;
  await sender.close();
  if (dispatcher.answered !== lines.length || dispatcher.failures > 0) {
    throw new Error(
      `replay bench: ${dispatcher.answered} answered, ${dispatcher.failures} failed of ${lines.length}`,
    );
  }
  report.rows(); // the report is part of the job
  return lines.length / seconds;
}

const worker = new Worker(new URL('./support/replay-target.js', import.meta.url));
const port = await new Promise<number>((resolve) => worker.once('message', resolve));
const lines = routerLines(REQUESTS, Date.UTC(2026, 11, 1));
await bareLoop(port, WARMUP);
await replayRun(port, lines.slice(0, WARMUP));
// Alternating rounds, each pair measured back to back: on a shared machine the load
// drifts between rounds, so the comparable figure is the median of the pairs' ratios.
const bares: number[] = [];
const replays: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const b = await bareLoop(port, REQUESTS);
  const r = await replayRun(port, lines);
  bares.push(b);
  replays.push(r);
  ratios.push(r / b);
}
await worker.terminate();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
console.log(
  `replay-bench conns=${CONNS} requests=${REQUESTS}×${ROUNDS} rounds: replay ${Math.round(median(replays))} req/s | ` +
    `bare node:http keep-alive loop ${Math.round(median(bares))} req/s | ratio ${median(ratios).toFixed(2)} ` +
    `(median of pairs; min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})`,
);
