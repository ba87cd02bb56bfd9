import { emptyDynoDelta } from '../../src/actors/dyno-flush-batch.js';
import { createDynoFleet, type DynoLine } from '../../src/gen/dyno-fleet.js';
import { unpackDynoDelta } from '../../src/sinks/redis/packed-dyno-values.js';
import type { RedisClient } from '../../src/sinks/redis/redis-client.js';
import {
  dynoWindowIndexKey,
  dynoWindowKey,
  parsePartitionMember,
  partitionsKey,
  partitionTag,
  platformAppsKey,
} from '../../src/sinks/redis/redis-keys.js';

/**
 * Platform lines of a generated dyno fleet (src/gen/dyno-fleet.ts: the exact Heroku
 * formats of log-runtime-metrics, R-codes, state changes, lifecycle lines) and an
 * oracle of what the dyno actors must keep, computed here from the line text with
 * regexes of its own, not with the product's parser.
 */
export function makeDynoLines(opts: {
  seed: number;
  apps: Array<{ host: string; dynos: number }>;
  startMs: number;
  durationMs: number;
}): DynoLine[] {
  const fleet = createDynoFleet({
    seed: opts.seed,
    apps: opts.apps,
    startMs: opts.startMs,
    restartChance: 0.3,
  });
  return fleet.due(opts.startMs + opts.durationMs);
}

/** Per (app, dyno): what the store must hold summed over one resolution's windows. */
export interface DynoTotals {
  memorySamples: number;
  memoryTotalSumMb: number;
  memoryTotalMaxMb: number;
  loadSamples: number;
  load1mSum: number;
  events: Record<string, number>;
}

function noTotals(): DynoTotals {
  return {
    memorySamples: 0,
    memoryTotalSumMb: 0,
    memoryTotalMaxMb: 0,
    loadSamples: 0,
    load1mSum: 0,
    events: {},
  };
}

const MEMORY_TOTAL = /sample#memory_total=([0-9.]+)MB/;
const MEMORY_RSS = /sample#memory_rss=([0-9.]+)MB/;
const LOAD_1M = /sample#load_avg_1m=([0-9.]+)/;
const ERROR = / - Error ([RL][0-9]{1,3}) \(/;
const STATE = / - State changed from [a-z]+ to (starting|crashed)$/;

export interface DynoOracle {
  /** `app dyno` → totals */
  totals: Map<string, DynoTotals>;
  /** lines the actors keep (memory, load, errors, restarts and crashes) */
  recorded: number;
  /** lines that carry nothing the actors keep (lifecycle lines) */
  ignored: number;
}

/** `appOf(line)` is the app the runtime should file the line under ('-' when unknown). */
export function dynoOracle(lines: readonly DynoLine[], appOf: (l: DynoLine) => string): DynoOracle {
  const totals = new Map<string, DynoTotals>();
  let recorded = 0;
  let ignored = 0;
  for (const l of lines) {
    const key = `${appOf(l)} ${l.dyno}`;
    const t = totals.get(key) ?? noTotals();
    const total = MEMORY_TOTAL.exec(l.line);
    const load = LOAD_1M.exec(l.line);
    const error = ERROR.exec(l.line);
    const state = STATE.exec(l.line);
    if (total && MEMORY_RSS.test(l.line)) {
      t.memorySamples++;
      t.memoryTotalSumMb += Number(total[1]);
      t.memoryTotalMaxMb = Math.max(t.memoryTotalMaxMb, Number(total[1]));
    } else if (load) {
      t.loadSamples++;
      t.load1mSum += Number(load[1]);
    } else if (error) {
      t.events[error[1]!] = (t.events[error[1]!] ?? 0) + 1;
    } else if (state) {
      const code = state[1] === 'starting' ? 'restart' : 'crash';
      t.events[code] = (t.events[code] ?? 0) + 1;
    } else {
      ignored++;
      continue;
    }
    recorded++;
    totals.set(key, t);
  }
  return { totals, recorded, ignored };
}

/**
 * The stored dyno totals of one resolution, read straight from the documented keys
 * (docs/redis-keys.md: dapps → dwi → dw hashes), every platform partition merged.
 */
export async function readStoredDynoTotals(
  redis: RedisClient,
  prefix: string,
  platformTopic: string,
  resolutionSeconds: number,
): Promise<Map<string, DynoTotals>> {
  const totals = new Map<string, DynoTotals>();
  for (const member of await redis.smembers(partitionsKey(prefix))) {
    const { topic, partition } = parsePartitionMember(member);
    if (topic !== platformTopic) continue;
    const tag = partitionTag(topic, partition);
    for (const app of await redis.zrange(platformAppsKey(prefix, tag), 0, -1)) {
      for (const start of await redis.zrange(
        dynoWindowIndexKey(prefix, tag, resolutionSeconds, app),
        0,
        -1,
      )) {
        const hash = await redis.hgetallBuffer(
          dynoWindowKey(prefix, tag, resolutionSeconds, app, Number(start)),
        );
        const byDyno = new Map<string, { m?: Uint8Array; l?: Uint8Array; e?: Uint8Array }>();
        for (const [field, value] of Object.entries(hash)) {
          const bar = field.lastIndexOf('|');
          const dyno = field.slice(0, bar);
          const f = byDyno.get(dyno) ?? {};
          f[field.slice(bar + 1) as 'm' | 'l' | 'e'] = value;
          byDyno.set(dyno, f);
        }
        for (const [dyno, fields] of byDyno) {
          const d = unpackDynoDelta(emptyDynoDelta(resolutionSeconds, Number(start), app, '', dyno), fields);
          const key = `${app} ${dyno}`;
          const t = totals.get(key) ?? noTotals();
          t.memorySamples += d.memorySamples;
          t.memoryTotalSumMb += d.memoryTotalSumMb;
          if (d.memorySamples > 0) t.memoryTotalMaxMb = Math.max(t.memoryTotalMaxMb, d.memoryTotalMaxMb);
          t.loadSamples += d.loadSamples;
          t.load1mSum += d.load1mSum;
          for (const [code, n] of Object.entries(d.events)) t.events[code] = (t.events[code] ?? 0) + n;
          totals.set(key, t);
        }
      }
    }
  }
  return totals;
}

/**
 * Compares stored totals with the oracle: counts, maxima and events exactly; sums
 * rounded to 1e-6 MB (float sums depend on the order of additions).
 */
export function dynoDiffs(got: Map<string, DynoTotals>, want: Map<string, DynoTotals>): string[] {
  const round = (t: DynoTotals | undefined) =>
    t && {
      ...t,
      memoryTotalSumMb: Math.round(t.memoryTotalSumMb * 1e6) / 1e6,
      load1mSum: Math.round(t.load1mSum * 1e6) / 1e6,
      events: Object.fromEntries(Object.entries(t.events).sort()),
    };
  return [...new Set([...got.keys(), ...want.keys()])]
    .filter((k) => JSON.stringify(round(got.get(k))) !== JSON.stringify(round(want.get(k))))
    .map((k) => `${k}: got ${JSON.stringify(round(got.get(k)))} want ${JSON.stringify(round(want.get(k)))}`);
}
