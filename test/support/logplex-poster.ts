import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';

/**
 * A logplex-like client for fault scenarios: `connections` loops, each posting 20-line
 * batches with a fresh Logplex-Frame-Id, and retrying a batch that got anything but 2xx
 * (503, a timeout at 5 s, a connection error) with the SAME frame id, as logplex does; unlike
 * logplex it never gives up on a batch while running, so every batch it started is either
 * acknowledged or still being retried when it stops.
 *
 * What it saw is kept for the invariant (acknowledged lines = the lines in Kafka, once each)
 * and for the figures (503 latency, recovery).
 */
export interface PosterStats {
  acknowledged: string[];
  /** lines of batches never acknowledged (still retrying at stop) */
  unacknowledged: string[];
  /** lines of acknowledged batches that needed more than one attempt (logplex's retries) */
  retried: string[];
  batches: number;
  statuses: Record<string, number>;
  /** the slowest non-2xx answer, ms (logplex gives up at 5000) */
  maxFailureMs: number;
  /** when each 2xx came back (performance.now()) */
  ackTimes: number[];
  failureTimes: number[];
}

export interface Poster {
  stats: PosterStats;
  /** stops starting new batches; resolves when every loop has finished its current batch or gave up */
  stop(opts?: { finishInFlight?: boolean; giveUpAfterMs?: number }): Promise<PosterStats>;
  /** resolves once `batches` has run out and every batch was acknowledged */
  finished(): Promise<PosterStats>;
}

export function startLogplexPoster(opts: {
  url: string;
  authorization: string;
  connections?: number;
  pauseMs?: number;
  retryDelayMs?: number;
  drainToken?: string;
  seed?: number;
  /**
   * the batches to post (each under its own drain token), taken in turn by the
   * connections; a loop ends when it returns null. Default: 20 generated lines, forever.
   */
  batches?: () => { lines: string[]; drainToken: string } | null;
}): Poster {
  const stats: PosterStats = {
    acknowledged: [],
    unacknowledged: [],
    retried: [],
    batches: 0,
    statuses: {},
    maxFailureMs: 0,
    ackTimes: [],
    failureTimes: [],
  };
  let running = true;
  let giveUpAt = Number.POSITIVE_INFINITY;
  const gen = createLineGenerator({ seed: opts.seed ?? 7, appOutputRate: 0, runtimeMetricsRate: 0 });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const loop = async () => {
    while (running) {
      const next = opts.batches
        ? opts.batches()
        : { lines: Array.from({ length: 20 }, () => gen().line), drainToken: opts.drainToken ?? 'd.poster' };
      if (next === null) return;
      const { lines } = next;
      const batch = buildLogplexBatch(lines, next.drainToken);
      stats.batches++;
      let acked = false;
      let attempts = 0;
      while (!acked && Date.now() < giveUpAt) {
        attempts++;
        const t0 = performance.now();
        let status = 'error';
        try {
          const res = await fetch(opts.url, {
            method: 'POST',
            body: batch.body,
            headers: { ...batch.headers, authorization: opts.authorization },
            signal: AbortSignal.timeout(5000),
          });
          await res.arrayBuffer();
          status = String(res.status);
        } catch (err) {
          status = (err as Error).name === 'TimeoutError' ? 'timeout' : 'conn_error';
        }
        const ms = performance.now() - t0;
        stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
        if (status === '204') {
          acked = true;
          stats.acknowledged.push(...lines);
          if (attempts > 1) stats.retried.push(...lines);
          stats.ackTimes.push(performance.now());
        } else {
          if (status !== 'conn_error') stats.maxFailureMs = Math.max(stats.maxFailureMs, ms);
          stats.failureTimes.push(performance.now());
          await sleep(opts.retryDelayMs ?? 500);
        }
      }
      if (!acked) stats.unacknowledged.push(...lines);
      await sleep(opts.pauseMs ?? 100);
    }
  };
  const loops = Array.from({ length: opts.connections ?? 4 }, () => loop());
  return {
    stats,
    async finished() {
      await Promise.all(loops);
      return stats;
    },
    async stop(o = {}) {
      running = false;
      giveUpAt = Date.now() + (o.giveUpAfterMs ?? 30_000);
      await Promise.all(loops);
      return stats;
    },
  };
}

/** Lines seen more than once, and expected lines not seen. */
export function compareOnce(
  expected: string[],
  got: string[],
): { lost: number; doubled: number; extra: number } {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g, (counts.get(g) ?? 0) + 1);
  let lost = 0;
  let doubled = 0;
  for (const e of expected) {
    const n = counts.get(e) ?? 0;
    if (n === 0) lost++;
    if (n > 1) doubled += n - 1;
  }
  const want = new Set(expected);
  const extra = got.filter((g) => !want.has(g)).length;
  return { lost, doubled, extra };
}
