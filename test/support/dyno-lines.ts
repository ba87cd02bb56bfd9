import { formatSyslogLine } from '../../src/logplex/syslog-frame-format.js';
import { prng } from './router-lines.js';

/**
 * Platform lines (log-runtime-metrics samples, R-codes, restarts) of a few dynos, each
 * with the values it carries, and an oracle for what `/api/v1/apps/:app/dynos` must
 * answer, computed from those values alone (never from the code under test):
 *
 *   <45>1 2026-12-01T10:00:01.500000+00:00 host heroku web.1 - source=web.1 dyno=heroku.… sample#memory_total=…MB …
 *   <45>1 … host heroku web.1 - source=web.1 dyno=heroku.… sample#load_avg_1m=0.42 …
 *   <45>1 … host heroku web.2 - Error R14 (Memory quota exceeded)
 *   <45>1 … host heroku web.3 - State changed from up to starting
 */
export interface DynoSpec {
  dyno: string;
  quotaMb: number;
  /** memory at the start, MB; it grows by `leakMbPerMin` */
  baseMb: number;
  leakMbPerMin: number;
}

export interface DynoLine {
  line: string;
  app: string;
  dyno: string;
  processType: string;
  timestampMs: number;
  memory?: { totalMb: number; rssMb: number; swapMb: number; quotaMb: number };
  load1m?: number;
  /** R14, R10, restart… */
  event?: string;
}

export const DEFAULT_DYNOS: DynoSpec[] = [
  { dyno: 'web.1', quotaMb: 512, baseMb: 180, leakMbPerMin: 2 },
  { dyno: 'web.2', quotaMb: 512, baseMb: 420, leakMbPerMin: 12 },
  { dyno: 'web.3', quotaMb: 512, baseMb: 250, leakMbPerMin: 1 },
  { dyno: 'worker.1', quotaMb: 1024, baseMb: 600, leakMbPerMin: 0 },
];

const cents = (v: number) => Math.round(v * 100) / 100;

/**
 * Every dyno samples memory and load every 20 s from `startMs` for `minutes`, at its own
 * phase. Over its quota a dyno swaps (RSS stays under the quota) and logs R14 a second
 * after the sample; web.3 restarts at `restartAtMs` (if given); worker.1 logs one R10 at
 * `r10AtMs` (if given).
 */
export function makeDynoLines(
  app: string,
  o: {
    startMs: number;
    minutes: number;
    seed: number;
    dynos?: DynoSpec[];
    restartAtMs?: number;
    r10AtMs?: number;
  },
): DynoLine[] {
  const r = prng(o.seed);
  const out: DynoLine[] = [];
  const dynos = o.dynos ?? DEFAULT_DYNOS;
  dynos.forEach((d, i) => {
    const processType = d.dyno.split('.')[0]!;
    const dynoId = `heroku.4242.${i}0000000-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}`;
    const line = (timestampMs: number, message: string, pri = 45) =>
      formatSyslogLine({ pri, timestampMs, app: 'heroku', procid: d.dyno, message });
    for (let t = o.startMs + 1500 + i * 4100; t < o.startMs + o.minutes * 60_000; t += 20_000) {
      const minutes = (t - o.startMs) / 60_000;
      const totalMb = cents(d.baseMb + d.leakMbPerMin * minutes + r() * 30);
      const rssMb = cents(Math.min(totalMb, d.quotaMb * 0.98));
      const swapMb = cents(totalMb - rssMb);
      const memory = { totalMb, rssMb, swapMb, quotaMb: d.quotaMb };
      const message =
        `source=${d.dyno} dyno=${dynoId} sample#memory_total=${totalMb.toFixed(2)}MB sample#memory_rss=${rssMb.toFixed(2)}MB ` +
        `sample#memory_cache=1.00MB sample#memory_swap=${swapMb.toFixed(2)}MB sample#memory_pgpgin=100pages ` +
        `sample#memory_pgpgout=50pages sample#memory_quota=${d.quotaMb.toFixed(2)}MB`;
      out.push({ line: line(t, message), app, dyno: d.dyno, processType, timestampMs: t, memory });
      const load1m = cents(r() * 3);
      out.push({
        line: line(
          t + 10,
          `source=${d.dyno} dyno=${dynoId} sample#load_avg_1m=${load1m.toFixed(2)} sample#load_avg_5m=0.50 sample#load_avg_15m=0.25`,
        ),
        app,
        dyno: d.dyno,
        processType,
        timestampMs: t + 10,
        load1m,
      });
      if (totalMb > d.quotaMb)
        out.push({
          line: line(t + 1000, 'Error R14 (Memory quota exceeded)'),
          app,
          dyno: d.dyno,
          processType,
          timestampMs: t + 1000,
          event: 'R14',
        });
    }
    const once = (at: number | undefined, when: string, message: string, event: string) => {
      if (at !== undefined && d.dyno === when)
        out.push({ line: line(at, message), app, dyno: d.dyno, processType, timestampMs: at, event });
    };
    once(o.restartAtMs, 'web.3', 'State changed from up to starting', 'restart');
    once(
      o.r10AtMs,
      'worker.1',
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
      'R10',
    );
  });
  return out.sort((a, b) => a.timestampMs - b.timestampMs);
}

export interface DynoOracle {
  startMs: number;
  steps: number;
  data: Record<string, Array<number | null>>;
  processTypes: string[];
  events: Array<{ time_ms: number; dyno: string; process_type: string; code: string; count: number }>;
  dynos: Array<{
    dyno: string;
    process_type: string;
    last_sample_at: string;
    memory_total_mb: number;
    memory_rss_mb: number;
    memory_swap_mb: number;
    memory_quota_mb: number;
    load_1m: number | null;
  }>;
}

/**
 * The expected answer for [fromMs, toMs) at `stepSeconds`: per process type and step the
 * mean and max of memory_total over all its dynos' samples, max RSS and swap, the quota,
 * mean and max load_1m, how many dynos sampled; events per stored window (`resolutionSeconds`),
 * dyno and code; each dyno's latest memory sample (over all lines, as the current state).
 */
export function dynoOracle(
  lines: readonly DynoLine[],
  q: { fromMs: number; toMs: number; stepSeconds: number; resolutionSeconds: number },
): DynoOracle {
  const stepMs = q.stepSeconds * 1000;
  const startMs = Math.floor(q.fromMs / stepMs) * stepMs;
  const steps = Math.max(1, Math.ceil((q.toMs - startMs) / stepMs));
  const inRange = lines.filter((l) => l.timestampMs >= startMs && l.timestampMs < startMs + steps * stepMs);
  const processTypes = [
    ...new Set(inRange.filter((l) => l.memory || l.load1m !== undefined).map((l) => l.processType)),
  ].sort();
  const data: Record<string, Array<number | null>> = {};
  const per = (pick: (l: DynoLine) => number | undefined, pt: string, fold: (v: number[]) => number) =>
    Array.from({ length: steps }, (_, s) => {
      const v = inRange
        .filter((l) => l.processType === pt && Math.floor((l.timestampMs - startMs) / stepMs) === s)
        .map(pick)
        .filter((x): x is number => x !== undefined);
      return v.length === 0 ? null : fold(v);
    });
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const max = (v: number[]) => Math.max(...v);
  for (const pt of processTypes) {
    data[`memory_total_mean_mb.${pt}`] = per((l) => l.memory?.totalMb, pt, mean);
    data[`memory_total_max_mb.${pt}`] = per((l) => l.memory?.totalMb, pt, max);
    data[`memory_rss_max_mb.${pt}`] = per((l) => l.memory?.rssMb, pt, max);
    data[`memory_swap_max_mb.${pt}`] = per((l) => l.memory?.swapMb, pt, max);
    data[`memory_quota_mb.${pt}`] = per((l) => l.memory?.quotaMb, pt, max);
    data[`load_1m_mean.${pt}`] = per((l) => l.load1m, pt, mean);
    data[`load_1m_max.${pt}`] = per((l) => l.load1m, pt, max);
    const dynoIndex = new Map([...new Set(lines.map((l) => l.dyno))].map((d, i) => [d, i]));
    data[`dynos.${pt}`] = per(
      (l) => (l.memory ? dynoIndex.get(l.dyno) : undefined),
      pt,
      (v) => new Set(v).size,
    );
  }
  const resMs = q.resolutionSeconds * 1000;
  const events = new Map<string, DynoOracle['events'][number]>();
  for (const l of inRange) {
    if (l.event === undefined) continue;
    const time_ms = Math.floor(l.timestampMs / resMs) * resMs;
    const key = `${time_ms}|${l.dyno}|${l.event}`;
    const e = events.get(key) ?? {
      time_ms,
      dyno: l.dyno,
      process_type: l.processType,
      code: l.event,
      count: 0,
    };
    e.count++;
    events.set(key, e);
  }
  const latest = new Map<string, DynoLine>();
  const latestLoad = new Map<string, number>();
  for (const l of lines) {
    if (l.memory) latest.set(l.dyno, l);
    if (l.load1m !== undefined) latestLoad.set(l.dyno, l.load1m);
  }
  return {
    startMs,
    steps,
    data,
    processTypes,
    events: [...events.values()],
    dynos: [...latest.values()].map((l) => ({
      dyno: l.dyno,
      process_type: l.processType,
      last_sample_at: new Date(l.timestampMs).toISOString(),
      memory_total_mb: l.memory!.totalMb,
      memory_rss_mb: l.memory!.rssMb,
      memory_swap_mb: l.memory!.swapMb,
      memory_quota_mb: l.memory!.quotaMb,
      load_1m: latestLoad.get(l.dyno) ?? null,
    })),
  };
}
