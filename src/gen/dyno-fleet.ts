import {
  formatDynoError,
  formatLoadSample,
  formatMemorySample,
  formatStateChange,
} from '../logplex/platform-line-format.js';
import { formatSyslogLine } from '../logplex/syslog-frame-format.js';
import { createPrng, type Prng } from './prng.js';

/**
 * The dynos of the generated apps, as log-runtime-metrics and the platform report
 * them (Dev Center "log-runtime-metrics", "Error Codes", "Dynos"):
 *
 *   every 20 s per dyno (each dyno at its own phase):
 *     <45>1 … host heroku web.1 - source=web.1 dyno=heroku.1234567.<uuid> sample#load_avg_1m=0.42 sample#load_avg_5m=0.38 sample#load_avg_15m=0.30
 *     <45>1 … host heroku web.1 - source=web.1 dyno=heroku.1234567.<uuid> sample#memory_total=301.12MB sample#memory_rss=299.80MB …
 *   while memory_total is over the quota, after each memory sample:
 *     <45>1 … host heroku web.1 - Error R14 (Memory quota exceeded)
 *   at twice the quota, R15 and a forced restart; over the quota, sometimes a restart:
 *     State changed from up to starting · Stopping all processes with SIGTERM · Process exited with status 143
 *     (3 s later) Starting process with command `bundle exec puma -C config/puma.rb` · (5 s later) State changed from starting to up
 *
 * Memory leaks: each dyno's used memory drifts up towards and past its app's quota
 * (512 or 1024 MB) at its own rate, with noise; RSS is capped just under the quota
 * and the rest goes to swap (memory_total = RSS + swap, as Heroku defines it). A
 * restart brings memory back to the dyno's baseline and gives it a new dyno id.
 * Deterministic for a seed, whatever the times `due` is called at.
 */
export interface FleetApp {
  host: string;
  /** web dynos: `web.1` … `web.N` */
  dynos: number;
}

export interface DynoFleetOptions {
  seed: number;
  apps: readonly FleetApp[];
  /** event time the fleet starts at (ms); each dyno's first sample falls within one interval after it */
  startMs: number;
  /** sample interval per dyno (default 20 000 ms, as log-runtime-metrics) */
  intervalMs?: number;
  /** chance that a dyno over its quota is restarted at a sample (default 0.15) */
  restartChance?: number;
}

export interface DynoLine {
  /** the syslog line, no frame, no trailing newline */
  line: string;
  timestampMs: number;
  /** the app the dyno belongs to (the line itself does not name it) */
  app: string;
  dyno: string;
  kind: 'load' | 'memory' | 'error' | 'state' | 'lifecycle';
}

export interface DynoFleet {
  /** the lines with an event time at or before `nowMs` not returned yet, in time order */
  due(nowMs: number): DynoLine[];
  readonly dynoCount: number;
}

interface Dyno {
  /** its own generator, so that a dyno's lines do not depend on when `due` is called */
  rng: Prng;
  app: string;
  name: string;
  appId: number;
  id: string;
  quotaMb: number;
  baseMb: number;
  usedMb: number;
  /** MB per sample */
  leakMb: number;
  cacheMb: number;
  pgpgin: number;
  pgpgout: number;
  load: number;
  load5: number;
  load15: number;
  nextAt: number;
}

const HEX = '0123456789abcdef';
const QUOTAS = [512, 512, 1024];

function hex(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[rng.int(16)];
  return s;
}

function dynoId(rng: Prng, appId: number): string {
  return `heroku.${appId}.${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-${HEX[8 + rng.int(4)]}${hex(rng, 3)}-${hex(rng, 12)}`;
}

export function createDynoFleet(options: DynoFleetOptions): DynoFleet {
  const rng = createPrng(options.seed ^ 0x5eed_d1e0);
  const interval = options.intervalMs ?? 20_000;
  const restartChance = options.restartChance ?? 0.15;
  const dynos: Dyno[] = [];
  for (const app of options.apps) {
    const appId = 1_000_000 + rng.int(9_000_000);
    const quotaMb = rng.pick(QUOTAS);
    for (let i = 1; i <= app.dynos; i++) {
      const baseMb = quotaMb * (0.3 + rng.next() * 0.2);
      dynos.push({
        rng: createPrng(rng.int(2 ** 31)),
        app: app.host,
        name: `web.${i}`,
        appId,
        id: dynoId(rng, appId),
        quotaMb,
        baseMb,
        usedMb: baseMb,
        // from ~4 min to ~1 h from the baseline to the quota
        leakMb: quotaMb * (0.004 + rng.next() * rng.next() * 0.05),
        cacheMb: 5 + rng.next() * 30,
        pgpgin: rng.int(50_000),
        pgpgout: rng.int(20_000),
        load: rng.next(),
        load5: rng.next() * 0.5,
        load15: rng.next() * 0.3,
        nextAt: options.startMs + rng.int(interval),
      });
    }
  }

  let pending: DynoLine[] = [];
  /** the earliest event time `due` could return a line for: lets a caller ask at every line cheaply */
  let earliest = Number.NEGATIVE_INFINITY;
  const emit = (d: Dyno, t: number, kind: DynoLine['kind'], message: string) =>
    pending.push({
      line: formatSyslogLine({ pri: 45, timestampMs: t, micros: 0, app: 'heroku', procid: d.name, message }),
      timestampMs: t,
      app: d.app,
      dyno: d.name,
      kind,
    });

  const restart = (d: Dyno, t: number) => {
    emit(d, t, 'state', formatStateChange('up', 'starting'));
    emit(d, t + 1, 'lifecycle', 'Stopping all processes with SIGTERM');
    emit(d, t + 2, 'lifecycle', 'Process exited with status 143');
    emit(d, t + 3000, 'lifecycle', 'Starting process with command `bundle exec puma -C config/puma.rb`');
    emit(d, t + 5000, 'state', formatStateChange('starting', 'up'));
    d.usedMb = d.baseMb;
    d.id = dynoId(d.rng, d.appId);
    d.pgpgin = 0;
    d.pgpgout = 0;
  };

  const sample = (d: Dyno, t: number) => {
    // load: a noisy 1-minute average, smoothed into the 5- and 15-minute ones
    d.load = Math.max(0, d.load * 0.7 + d.rng.next() * 0.9 * (0.5 + d.usedMb / d.quotaMb));
    d.load5 += (d.load - d.load5) / 15;
    d.load15 += (d.load - d.load15) / 45;
    emit(
      d,
      t,
      'load',
      formatLoadSample({ source: d.name, dynoId: d.id, load1m: d.load, load5m: d.load5, load15m: d.load15 }),
    );

    d.usedMb = Math.max(
      d.baseMb * 0.9,
      d.usedMb + d.leakMb * (0.5 + d.rng.next()) + d.quotaMb * 0.01 * d.rng.normal(),
    );
    const rss = Math.min(d.usedMb, d.quotaMb * (0.97 + d.rng.next() * 0.02));
    const swap = d.usedMb - rss;
    d.pgpgin += 100 + d.rng.int(2000);
    d.pgpgout += 50 + d.rng.int(1000);
    emit(
      d,
      t,
      'memory',
      formatMemorySample({
        source: d.name,
        dynoId: d.id,
        totalMb: rss + swap,
        rssMb: rss,
        cacheMb: d.cacheMb,
        swapMb: swap,
        pgpgin: d.pgpgin,
        pgpgout: d.pgpgout,
        quotaMb: d.quotaMb,
      }),
    );
    // the R14 follows the sample it is about; the parsed value is what was written
    const total = Number((rss + swap).toFixed(2));
    if (total >= 2 * d.quotaMb) {
      emit(d, t, 'error', formatDynoError('R15'));
      restart(d, t + 1);
    } else if (total > d.quotaMb) {
      emit(d, t, 'error', formatDynoError('R14'));
      if (d.rng.chance(restartChance)) restart(d, t + 1);
    }
  };

  return {
    dynoCount: dynos.length,
    due(nowMs: number): DynoLine[] {
      if (nowMs < earliest) return [];
      earliest = Number.POSITIVE_INFINITY;
      for (const d of dynos) {
        while (d.nextAt <= nowMs) {
          sample(d, d.nextAt);
          d.nextAt += interval;
        }
        if (d.nextAt < earliest) earliest = d.nextAt;
      }
      const out: DynoLine[] = [];
      const later: DynoLine[] = [];
      for (const l of pending) {
        if (l.timestampMs <= nowMs) out.push(l);
        else {
          later.push(l);
          if (l.timestampMs < earliest) earliest = l.timestampMs;
        }
      }
      pending = later;
      // stable: lines of one dyno at one instant keep their order (load, memory, R14)
      out.sort((a, b) => a.timestampMs - b.timestampMs);
      return out;
    },
  };
}
