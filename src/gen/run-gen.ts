import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { groupByAppToken } from './app-drain-tokens.js';
import { createDrainClient } from './drain-client.js';
import { createLineGenerator, type GeneratedLine, type LineGeneratorOptions } from './line-generator.js';
import { buildLogplexBatch, type LogplexBatch } from './logplex-batch.js';

/**
 * `routemeter gen`: posts realistic logplex batches to a drain at a controlled rate.
 *
 *   scheduler: batch k is due at start + k × batchLines / rate   (rate 0 = as fast as possible)
 *   workers (concurrency): take the next due batch ─POST─▶ 2xx: done
 *                                                     ├─ 5xx / 429 / timeout / network: retry, same frame id
 *                                                     │  (up to `attempts` in all, as logplex: 3)
 *                                                     └─ other 4xx: dropped (logplex drops them too)
 *
 * Lines carry the current time as their syslog timestamp. Among them, unless
 * `dynoSamples` is false, every dyno of every app reports memory and load every 20 s,
 * in the same batches and with the same drain token as the router lines.
 */
export interface GenOptions {
  /** drain URL, with credentials as userinfo: `http://user:pass@127.0.0.1:5000/logs` */
  url: string;
  /** lines per second; 0 = as fast as the drain answers */
  rate: number;
  /** stop after this many seconds … */
  durationSeconds?: number;
  /** … or after this many lines (whichever comes first; one of them is required) */
  totalLines?: number;
  /** lines per batch (logplex sends up to ~100 KB) */
  batchLines?: number;
  /** concurrent requests */
  concurrency?: number;
  /** tries per batch in all (logplex: 3) */
  attempts?: number;
  drainToken?: string;
  seed?: number;
  apps?: number;
  routes?: number;
  /**
   * dyno samples among the lines (default true): memory and load every 20 s per dyno,
   * R14s and restarts (`dyno-fleet.ts`); they count towards `totalLines` and `batchLines`
   */
  dynoSamples?: boolean;
  /**
   * one drain token per app, as Heroku has one drain per app (`app-drain-tokens.ts`):
   * each due batch is split into one batch per app; default false (one shared token)
   */
  tokenPerApp?: boolean;
  /** progress bar on stderr (default: when stderr is a TTY) */
  progress?: boolean;
  /** event time of each line, ms (default: the wall clock, as a drain sees live traffic) */
  clock?: () => number;
  signal?: AbortSignal;
}

export interface GenResult {
  lines: number;
  batches: number;
  retries: number;
  failedBatches: number;
  failedLines: number;
  statuses: Record<string, number>;
  seconds: number;
  linesPerSecond: number;
}

export async function runGen(options: GenOptions): Promise<GenResult> {
  const batchLines = options.batchLines ?? 100;
  const concurrency = options.concurrency ?? 4;
  const attempts = options.attempts ?? 3;
  if (!(options.rate >= 0)) throw new RoutemeterError('RM_ERR_CONFIG', 'gen: rate must be >= 0 lines/s');
  if (!(batchLines >= 1)) throw new RoutemeterError('RM_ERR_CONFIG', 'gen: batchLines must be >= 1');
  if (!(concurrency >= 1)) throw new RoutemeterError('RM_ERR_CONFIG', 'gen: concurrency must be >= 1');
  if (options.durationSeconds === undefined && options.totalLines === undefined) {
    throw new RoutemeterError('RM_ERR_CONFIG', 'gen: give durationSeconds or totalLines');
  }
  const totalLines = options.totalLines ?? Number.POSITIVE_INFINITY;
  const drainToken = options.drainToken ?? `d.${randomUUID()}`;
  const genOpts: LineGeneratorOptions = {
    seed: options.seed ?? Date.now() % 2 ** 31,
    apps: options.apps,
    routes: options.routes,
    dynoSamples: options.dynoSamples ?? true,
    clock: options.clock ?? Date.now,
  };
  const next = createLineGenerator(genOpts);
  const client = createDrainClient({ url: options.url, connections: concurrency });

  const started = performance.now();
  const endAt =
    options.durationSeconds === undefined
      ? Number.POSITIVE_INFINITY
      : started + options.durationSeconds * 1000;
  const result: GenResult = {
    lines: 0,
    batches: 0,
    retries: 0,
    failedBatches: 0,
    failedLines: 0,
    statuses: {},
    seconds: 0,
    linesPerSecond: 0,
  };
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'gen |{bar}| {value} lines | {rate} lines/s | retries {retries} | failed {failed}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const barTotal = Number.isFinite(totalLines)
    ? totalLines
    : Math.max(1, Math.round((options.durationSeconds ?? 0) * (options.rate || 1000)));
  bar?.start(barTotal, 0, { rate: 0, retries: 0, failed: 0 });

  let scheduled = 0; // lines handed to workers
  const stopped = () => options.signal?.aborted === true;

  /**
   * Reserves the next batch and the time it is due at (the lines before it have had
   * their time); with `tokenPerApp`, one batch per app of those lines.
   */
  const takeBatch = (): { batches: LogplexBatch[]; dueAt: number } | null => {
    if (stopped() || scheduled >= totalLines || performance.now() >= endAt) return null;
    const n = Math.min(batchLines, totalLines - scheduled);
    const dueAt = options.rate > 0 ? started + (scheduled / options.rate) * 1000 : 0;
    scheduled += n;
    if (options.tokenPerApp === true) {
      const generated: GeneratedLine[] = [];
      for (let i = 0; i < n; i++) generated.push(next());
      const batches: LogplexBatch[] = [];
      for (const [token, lines] of groupByAppToken(generated, drainToken)) {
        batches.push(buildLogplexBatch(lines, token));
      }
      return { batches, dueAt };
    }
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(next().line);
    return { batches: [buildLogplexBatch(lines, drainToken)], dueAt };
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const taken = takeBatch();
      if (taken === null) return;
      const wait = taken.dueAt - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (const batch of taken.batches) await send(batch);
    }
  };

  /** Posts one batch as logplex does: retries with the same frame id, gives up on a permanent 4xx. */
  const send = async (batch: LogplexBatch): Promise<void> => {
    let ok = false;
    for (let attempt = 1; attempt <= attempts && !ok; attempt++) {
      if (attempt > 1) {
        result.retries++;
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 2)));
      }
      let status: number;
      try {
        status = await client.post(batch);
      } catch {
        status = 0;
      }
      const label = status === 0 ? 'error' : String(status);
      result.statuses[label] = (result.statuses[label] ?? 0) + 1;
      if (status >= 200 && status < 300) ok = true;
      else if (status >= 400 && status < 500 && status !== 429) break; // permanent, as logplex treats it
    }
    result.batches++;
    if (ok) result.lines += batch.lines;
    else {
      result.failedBatches++;
      result.failedLines += batch.lines;
    }
    const seconds = (performance.now() - started) / 1000;
    bar?.update(result.lines + result.failedLines, {
      rate: Math.round(result.lines / Math.max(seconds, 0.001)),
      retries: result.retries,
      failed: result.failedLines,
    });
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    client.close();
    bar?.stop();
  }
  result.seconds = (performance.now() - started) / 1000;
  result.linesPerSecond = result.lines / Math.max(result.seconds, 0.001);
  return result;
}
