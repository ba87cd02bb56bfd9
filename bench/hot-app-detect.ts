/**
 * bench/hot-app-detect.ts: what detecting hot apps costs the drain's request parser, per
 * router line, in this process's CPU time.
 *
 * Setup: the seeded 100-line batches of bench/drain.ts (50 apps, Zipf-like, ~30 distinct apps
 * interleaved in one request: the worst case for the per-request host table, where the host
 * changes on most lines; a Heroku drain request carries one app) go through buildBatchRecords,
 * in alternating rounds:
 *   off       no detection, no hot app (the reference)
 *   counting  a HotAppDetector counts every request's apps, none becomes hot (minimum rate not met)
 *   hot       the same with the default share and no minimum rate: the busiest app (27% of
 *             the lines) is hot from the first interval on, its lines keyed host#s (path hash)
 * Prints µs of CPU per router line for each (medians of the rounds) and the ratios to `off`.
 * `--one-app-per-request` regroups the same lines by app into 100-line requests, as a Heroku
 * drain sends them (one app per drain).
 *
 *   npm run build && node dist/bench/hot-app-detect.js [--rounds 9] [--one-app-per-request]
 */
import { parseArgs } from 'node:util';
import { buildLogplexBatch } from '../src/gen/logplex-batch.js';
import { type BatchContext, buildBatchRecords } from '../src/ingest/batch-records.js';
import { HotAppDetector } from '../src/ingest/hot-app-detector.js';
import { HotAppKeys } from '../src/ingest/hot-app-keys.js';
import { makeBatches } from './drain-harness.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    'one-app-per-request': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const { batches, lines } = makeBatches(400);
const bodies = values['one-app-per-request']
  ? oneAppPerRequest(lines)
  : batches.map((b) => Buffer.from(b.body));

function oneAppPerRequest(all: string[]): Buffer[] {
  const byApp = new Map<string, string[]>();
  for (const line of all) {
    const app = / host=(\S+)/.exec(line)?.[1] ?? '';
    byApp.set(app, [...(byApp.get(app) ?? []), line]);
  }
  const out: Buffer[] = [];
  for (const ls of byApp.values()) {
    for (let i = 0; i < ls.length; i += 100)
      out.push(Buffer.from(buildLogplexBatch(ls.slice(i, i + 100), 'd.bench').body));
  }
  return out;
}
const ctx: BatchContext = {
  drainToken: 'd.bench',
  frameId: 'F',
  receivedAtMs: 0,
  appOutput: 'drop',
  platformTopic: false,
};

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

let now = 0;
function detecting(minRate: number) {
  const hotApps = new HotAppKeys(new Map(), 6);
  const detector = new HotAppDetector(
    {
      share: 0.25,
      minRate,
      shards: 4,
      intervalMs: 1000,
      holdMs: 3_600_000,
      onChange: (c) => (c.kind === 'detected' ? hotApps.add(c.app, c.shards) : hotApps.delete(c.app)),
    },
    now,
  );
  return { hotApps, detector };
}
const counting = detecting(Number.POSITIVE_INFINITY);
const hot = detecting(0);
type Variant = 'off' | 'counting' | 'hot';

// the generator mixes in platform lines: per router line
const routerLines = bodies.reduce((n, body) => n + buildBatchRecords(body, ctx).routerCount, 0);

function round(variant: Variant): number {
  const d = variant === 'counting' ? counting : variant === 'hot' ? hot : null;
  const t0 = cpuUs();
  let sink = 0;
  for (const body of bodies) {
    const r =
      d === null
        ? buildBatchRecords(body, ctx)
        : buildBatchRecords(body, { ...ctx, hotApps: d.hotApps, appTally: d.detector });
    now += 10; // 100 lines per 10 ms: an interval every 100 requests
    if (d !== null) d.detector.tick(now);
    sink += r.routerCount;
  }
  if (sink !== routerLines) throw new Error(`parsed ${sink} of ${routerLines} router lines`);
  return (cpuUs() - t0) / routerLines;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const variants: Variant[] = ['off', 'counting', 'hot'];
for (const v of variants) round(v); // warm-up, and the first detection
const us: Record<Variant, number[]> = { off: [], counting: [], hot: [] };
for (let i = 0; i < rounds; i++) for (const v of variants) us[v].push(round(v));
const [off, count, spread] = variants.map((v) => median(us[v]));
console.log(
  `hot-app-detect: off ${off!.toFixed(3)}, counting ${count!.toFixed(3)}, hot ${spread!.toFixed(3)} µs/line; ` +
    `counting/off ${(count! / off!).toFixed(2)}, hot/off ${(spread! / off!).toFixed(2)} ` +
    `(hot apps: ${counting.detector.hotCount} and ${hot.detector.hotCount}; ${routerLines} router lines in ${bodies.length} requests` +
    `${values['one-app-per-request'] ? ' of one app each' : ''} × ${rounds} rounds, medians)`,
);
