/**
 * Cost of the platform path against the router path, measured in the same run on
 * one core: parsing a platform record value (`parsePlatformEvent`) and recording it
 * (`PlatformAggregator`), against parsing a router record value (`parseRouterEvent`).
 *
 * Setup: 200 000 lines from the generator's dyno fleet (60 apps, 1–8 web dynos each:
 * load and memory samples every 20 s per dyno, R14s, restarts and lifecycle lines),
 * and 200 000 router lines from the same generator, both as one Buffer with offsets,
 * as the consumer sees record values; the aggregator is drained every 5 000 records,
 * as the runtime's flushes would. Best of 5 rounds each.
 *
 * Prints one line: lines/s of each and the ratio platform / router
 * (platform lines are ~2× longer, so a ratio near 0.5 means the same cost per byte).
 *
 * Run: npm run build && node dist/bench/platform-line.js
 */
import { PlatformAggregator } from '../src/actors/platform-aggregator.js';
import { createLineGenerator } from '../src/gen/line-generator.js';
import { createPlatformEvent } from '../src/logplex/platform-event.js';
import { parsePlatformEvent } from '../src/logplex/platform-line.js';
import { createRouterEvent } from '../src/logplex/router-event.js';
import { parseRouterEvent } from '../src/logplex/router-line.js';

const LINES = 200_000;
const DRAIN_EVERY = 5_000;
const START = Date.UTC(2026, 0, 1);

function corpus(kind: 'platform' | 'router'): { buf: Buffer; offsets: Int32Array; apps: string[] } {
  let now = START;
  const gen = createLineGenerator({
    seed: 7,
    apps: 60,
    dynoSamples: true,
    appOutputRate: 0,
    clock: () => now,
  });
  const lines: string[] = [];
  const apps: string[] = [];
  while (lines.length < LINES) {
    now += kind === 'platform' ? 50 : 1;
    const g = gen();
    if (g.kind !== kind) continue;
    lines.push(g.line);
    apps.push(g.app);
  }
  const buf = Buffer.from(lines.join(''));
  const offsets = new Int32Array(LINES + 1);
  let o = 0;
  for (let i = 0; i < LINES; i++) {
    offsets[i] = o;
    o += Buffer.byteLength(lines[i]!);
  }
  offsets[LINES] = o;
  return { buf, offsets, apps };
}

function best(run: () => void): number {
  let bestMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    run();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  return (LINES / bestMs) * 1000;
}

const platform = corpus('platform');
const router = corpus('router');
const pev = createPlatformEvent();
const rev = createRouterEvent();
let sink = 0;

const platformRate = best(() => {
  const agg = new PlatformAggregator({
    windowSeconds: 10,
    rollupSeconds: 60,
    allowedLatenessSeconds: 3600,
    dynoCapPerApp: 100,
    clock: () => START + 86_400_000,
  });
  const { buf, offsets, apps } = platform;
  for (let i = 0; i < LINES; i++) {
    if (parsePlatformEvent(buf, offsets[i]!, offsets[i + 1]!, pev)) agg.record(apps[i]!, pev);
    // the runtime drains at every flush (FLUSH_INTERVAL_MS, MAX_PENDING_RECORDS): windows stay few
    if (i % DRAIN_EVERY === DRAIN_EVERY - 1) sink += agg.drain().deltas.length;
  }
  sink += agg.drain().deltas.length;
});
const routerRate = best(() => {
  const { buf, offsets } = router;
  for (let i = 0; i < LINES; i++) if (parseRouterEvent(buf, offsets[i]!, offsets[i + 1]!, rev)) sink++;
});
const bytesPerLine = (c: { offsets: Int32Array }) => c.offsets[LINES]! / LINES;

console.log(
  `platform-line-bench: platform parse+record ${Math.round(platformRate)} lines/s (${bytesPerLine(platform).toFixed(0)} B/line) | ` +
    `router parse ${Math.round(routerRate)} lines/s (${bytesPerLine(router).toFixed(0)} B/line) | ratio ${(platformRate / routerRate).toFixed(2)} (sink ${sink > 0})`,
);
