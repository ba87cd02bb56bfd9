import { setMaxListeners } from 'node:events';
import type { Writable } from 'node:stream';
import type { Logger } from '../telemetry/logger.js';
import { type DivergenceReport, isFailure, outcomeClass, type ReplayOutcome } from './divergence-report.js';
import { FailureWindow, type FailureWindowOptions } from './failure-window.js';
import { MergeQueue } from './merge-queue.js';
import { PacingSchedule, PacingStats } from './pacing-schedule.js';
import { RateLimiter } from './rate-limiter.js';
import type { ReplayItem } from './replay-item.js';
import type { ReplayMetrics } from './replay-metrics.js';
import { ABORTED, type ReplaySender } from './replay-sender.js';
import type { StopReason } from './replay-summary.js';
import { Wakeup } from './wakeup.js';

/**
 * From queued items to requests on the wire:
 *
 *   push(item) ─► MergeQueue (FIFO per partition, min event time first)
 *                    │ head due?      PacingSchedule: w0 + (e − e0) / speed
 *                    │ slot free?     in flight < --concurrency
 *                    │ token?         RateLimiter (--rps)
 *                    ▼
 *               sender.send ──► outcome ─► DivergenceReport, metrics, FailureWindow
 *                                               (tripped → stop 'target_failing')
 *
 * One loop, no polling: every wait ends on a timer or on a Wakeup (new item,
 * finished request, stop). `stop()` ends the loop; requests in flight get
 * `shutdownGraceMs` to finish, then are aborted and left out of the report.
 */
export interface DispatcherOptions {
  speed: number;
  rps: number;
  concurrency: number;
  stop: FailureWindowOptions | null;
  dryRun: boolean;
  markerHeader: string;
  authorization: string | null;
  userAgent: string;
  shutdownGraceMs: number;
  /**
   * ms to collect records before the first one is sent (unless the input ends first):
   * Kafka hands partitions over one fetch at a time, and the pacing clock starts at the
   * first request, so without a lead the earliest records of a later partition are late.
   */
  leadMs: number;
}

export interface DispatcherDeps {
  sender: ReplaySender | null;
  report: DivergenceReport;
  metrics: ReplayMetrics | null;
  logger: Logger;
  /** where --dry-run prints the requests */
  out?: Writable;
  /** monotonic ms (performance.now by default) */
  clock?: () => number;
}

export class ReplayDispatcher {
  private readonly queue = new MergeQueue<ReplayItem>();
  private readonly wake = new Wakeup();
  private readonly schedule: PacingSchedule;
  readonly pacing: PacingStats;
  private readonly limiter: RateLimiter;
  private readonly window: FailureWindow | null;
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly clock: () => number;
  private inputDone: StopReason | null = null;
  private firstPushAt = Number.NaN;
  private started = false;
  private stopReason: StopReason | null = null;
  stopDetail: { failures: number; requests: number } | null = null;
  sent = 0;
  answered = 0;
  failures = 0;
  /** called after an item leaves the queue (the source resumes below its low mark) */
  onDequeue: () => void = () => undefined;

  constructor(
    private readonly options: DispatcherOptions,
    private readonly deps: DispatcherDeps,
  ) {
    this.schedule = new PacingSchedule(options.speed);
    this.pacing = new PacingStats(options.speed);
    this.limiter = new RateLimiter(options.rps);
    this.window = options.stop ? new FailureWindow(options.stop) : null;
    this.clock = deps.clock ?? (() => performance.now());
    // Every request in flight listens on the one shutdown signal: up to --concurrency listeners.
    setMaxListeners(0, this.abort.signal);
  }

  get queued(): number {
    return this.queue.size;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  get stopped(): StopReason | null {
    return this.stopReason;
  }

  push(item: ReplayItem): void {
    if (Number.isNaN(this.firstPushAt)) this.firstPushAt = this.clock();
    this.queue.push(item);
    this.deps.metrics?.queued.set(this.queue.size);
    this.wake.notify();
  }

  /** no more items will come; the loop ends with `reason` once the queue is empty */
  finishInput(reason: StopReason): void {
    this.inputDone ??= reason;
    this.wake.notify();
  }

  stop(reason: StopReason): void {
    this.stopReason ??= reason;
    this.wake.notify();
  }

  async run(): Promise<StopReason> {
    for (;;) {
      if (this.stopReason !== null) break;
      const head = this.queue.peek();
      if (head === undefined) {
        if (this.inputDone !== null) {
          this.stopReason = this.inputDone;
          break;
        }
        await this.wake.wait(Number.POSITIVE_INFINITY);
        continue;
      }
      let now = this.clock();
      if (!this.started) {
        const lead = this.firstPushAt + this.options.leadMs - now;
        if (lead >= 1 && this.inputDone === null) {
          await this.wake.wait(lead);
          continue;
        }
        this.started = true;
      }
      const due = this.schedule.dueAt(head.eventMs, now);
      if (due - now >= 1) {
        await this.wake.wait(due - now);
        continue;
      }
      if (!this.options.dryRun && this.inflight.size >= this.options.concurrency) {
        await this.wake.wait(Number.POSITIVE_INFINITY);
        continue;
      }
      now = this.clock();
      const wait = this.options.dryRun ? 0 : this.limiter.take(now);
      if (wait > 0) {
        await this.wake.wait(wait);
        continue;
      }
      this.queue.shift();
      this.deps.metrics?.queued.set(this.queue.size);
      this.onDequeue();
      this.pacing.record(head.eventMs, due, now);
      this.deps.metrics?.lateness.observe(Math.max(0, now - due) / 1000);
      this.sent++;
      this.deps.metrics?.records.inc({ result: 'sent' });
      if (this.options.dryRun || this.deps.sender === null) {
        this.deps.out?.write(
          `${head.method} ${head.target.origin}${head.path}  ${this.options.markerHeader}: ${head.requestId || '1'}` +
            `  (${head.app} ${head.route}, original ${head.originalStatus} in ${head.originalServiceMs} ms)\n`,
        );
        continue;
      }
      const p = this.sendOne(head).finally(() => {
        this.inflight.delete(p);
        this.deps.metrics?.inflight.set(this.inflight.size);
        this.wake.notify();
      });
      this.inflight.add(p);
      this.deps.metrics?.inflight.set(this.inflight.size);
    }
    await this.drainInflight();
    return this.stopReason as StopReason;
  }

  private async drainInflight(): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((r) => {
        timer = setTimeout(r, this.options.shutdownGraceMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.inflight.size > 0) {
      this.deps.logger.warn({ inflight: this.inflight.size }, 'replay: aborting requests still in flight');
      this.abort.abort();
      await Promise.allSettled([...this.inflight]);
    }
  }

  private async sendOne(item: ReplayItem): Promise<void> {
    const headers: Record<string, string> = {
      [this.options.markerHeader]: item.requestId || '1',
      'user-agent': this.options.userAgent,
    };
    // A target URL's own userinfo wins over the run-wide credentials (several apps, several stagings).
    const authorization =
      item.target.userinfo !== null
        ? `Basic ${Buffer.from(item.target.userinfo).toString('base64')}`
        : this.options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    let outcome: ReplayOutcome;
    try {
      outcome = await (this.deps.sender as ReplaySender).send(
        { origin: item.target.origin, path: item.path, method: item.method, headers },
        this.abort.signal,
      );
    } catch (err) {
      // The sender answers with outcomes; a throw is a bug, logged, never a crash.
      this.deps.logger.error({ err }, 'replay sender failed');
      outcome = { kind: 'error', latencyMs: 0, code: 'SENDER' };
    }
    if (outcome.kind === 'error' && outcome.code === ABORTED) return;
    this.answered++;
    const failed = isFailure(outcome);
    if (failed) this.failures++;
    this.deps.report.add(item.app, item.route, item.originalStatus, item.originalServiceMs, outcome);
    this.deps.metrics?.responses.inc({ class: outcomeClass(outcome) });
    if (outcome.kind === 'response') this.deps.metrics?.duration.observe(outcome.latencyMs / 1000);
    if (this.window) {
      const now = this.clock();
      if (this.window.record(now, failed) && this.stopReason === null) {
        this.stopDetail = this.window.state(now);
        this.deps.metrics?.stopped.set(1);
        this.deps.logger.warn(
          { event: 'replay_auto_stop', ...this.stopDetail },
          "replay stopped: the target's 5xx/timeout ratio crossed the threshold",
        );
        this.stop('target_failing');
      }
    }
  }
}
