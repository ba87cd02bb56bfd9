import { Gauge, type Registry } from 'prom-client';
import type { HealthStatus } from '../telemetry/health-routes.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import type { LagProbe } from './lag-probe.js';
import { Field, type PartitionCounters, WorkerField } from './worker-metrics.js';

/**
 * What `routemeter run` answers on `/readyz` and `/healthz` (docs/operations.md).
 *
 * Ready: the group has answered (an assignment, possibly empty), Kafka answers
 * ListOffsets (lag-probe.ts), the store answers PING, every partition the group
 * gave this process is claimed and running, and not all of them are paused by
 * backpressure. Each reason it is not is named in the answer.
 *
 * Live: every worker thread's heartbeat (worker-heartbeat.ts) is younger than
 * `livenessStallMs`. A stuck main event loop cannot answer at all, which a probe
 * with a timeout reads as a failure too.
 *
 * The store being away for `storeOutageExitMs` in a row (from the start, too)
 * calls `onStoreOutage`: the process exits non-zero for its orchestrator.
 */
export interface RuntimeHealthOptions {
  registry: Registry;
  /** a main-thread client used only for PING (offline queue off, so a down store fails fast) */
  redis: { ping(): Promise<string> };
  /** the lag probe: its router topic's last ListOffsets answer says whether Kafka is reachable */
  probe: Pick<LagProbe, 'lastSuccessMs'>;
  counters: () => PartitionCounters | null;
  /** partitions the group assigned to this process */
  assigned: () => number[];
  /** the platform topic's partitions (PLATFORM_TOPIC on): claimed too before ready */
  platform?: { counters: () => PartitionCounters | null; assigned: () => number[] };
  /** supervisor is started, in the group, not stopping, all workers alive */
  supervisorReady: () => boolean;
  liveWorkers: () => number[];
  lagProbeIntervalMs: number;
  storeOutageExitMs: number;
  livenessStallMs: number;
  onStoreOutage: (reason: string) => void;
  logger: Logger;
  now?: () => number;
  /** PING period */
  checkIntervalMs?: number;
}

export class RuntimeHealth {
  private assignmentSeen = false;
  private storeUp = false;
  private storeLastUpMs: number;
  private timer: NodeJS.Timeout | null = null;
  private pinging = false;
  private exited = false;
  private readonly now: () => number;

  constructor(private readonly opts: RuntimeHealthOptions) {
    this.now = opts.now ?? Date.now;
    // The outage clock starts with the process: a store unreachable from the start counts too.
    this.storeLastUpMs = this.now();
    const self = this;
    new Gauge({
      name: 'routemeter_ready',
      help: '1 while /readyz answers ready',
      registers: [opts.registry],
      collect() {
        this.set(self.ready().ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'routemeter_dependency_up',
      help: '1 while the dependency answers: kafka (ListOffsets), redis (PING)',
      labelNames: ['dependency'],
      registers: [opts.registry],
      collect() {
        this.set({ dependency: 'kafka' }, self.kafkaUp() ? 1 : 0);
        this.set({ dependency: 'redis' }, self.storeUp ? 1 : 0);
      },
    });
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** the group answered; called on every assignment, empty ones included */
  assignment(): void {
    this.assignmentSeen = true;
  }

  async check(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      await withTimeout(this.opts.redis.ping(), 2000, 'store PING');
      if (!this.storeUp) this.opts.logger.info('store reachable');
      this.storeUp = true;
      this.storeLastUpMs = this.now();
    } catch (err) {
      if (this.storeUp) this.opts.logger.warn({ err: (err as Error).message }, 'store unreachable');
      this.storeUp = false;
    } finally {
      this.pinging = false;
    }
    const down = this.now() - this.storeLastUpMs;
    if (
      !this.storeUp &&
      this.opts.storeOutageExitMs > 0 &&
      down >= this.opts.storeOutageExitMs &&
      !this.exited
    ) {
      this.exited = true;
      const reason = `store unreachable for ${Math.round(down / 1000)} s (STORE_OUTAGE_EXIT_MS=${this.opts.storeOutageExitMs})`;
      this.opts.logger.fatal({ downMs: down }, reason);
      this.opts.onStoreOutage(reason);
    }
  }

  private kafkaUp(): boolean {
    const last = this.opts.probe.lastSuccessMs;
    // Three probe periods (at least 15 s) without an answer: one slow probe is not an outage.
    return last > 0 && this.now() - last <= Math.max(15_000, 3 * this.opts.lagProbeIntervalMs);
  }

  ready(): HealthStatus {
    const reasons: string[] = [];
    if (!this.opts.supervisorReady())
      reasons.push('supervisor not running (starting, stopping or a worker down)');
    if (!this.assignmentSeen) reasons.push('no answer from the consumer group yet');
    if (!this.kafkaUp()) reasons.push('Kafka unreachable (ListOffsets)');
    if (!this.storeUp) reasons.push('store unreachable (Redis PING)');
    const counters = this.opts.counters();
    const assigned = this.opts.assigned();
    if (counters && assigned.length > 0) {
      const unclaimed = assigned.filter((p) => counters.get(p, Field.owned) !== 1);
      if (unclaimed.length > 0) reasons.push(`partitions not claimed yet: ${unclaimed.join(',')}`);
      else if (assigned.every((p) => counters.get(p, Field.paused) === 1))
        reasons.push('every partition is paused');
    }
    const platformCounters = this.opts.platform?.counters();
    const platformAssigned = this.opts.platform?.assigned() ?? [];
    if (platformCounters && platformAssigned.length > 0) {
      const unclaimed = platformAssigned.filter((p) => platformCounters.get(p, Field.owned) !== 1);
      if (unclaimed.length > 0) reasons.push(`platform partitions not claimed yet: ${unclaimed.join(',')}`);
    }
    return { ok: reasons.length === 0, reasons };
  }

  live(): HealthStatus {
    const reasons: string[] = [];
    const counters = this.opts.counters();
    if (counters) {
      const nowMs = this.now();
      for (const w of this.opts.liveWorkers()) {
        const beat = counters.getWorker(w, WorkerField.heartbeatMs);
        if (beat > 0 && nowMs - beat > this.opts.livenessStallMs) {
          reasons.push(`worker ${w} silent for ${Math.round((nowMs - beat) / 1000)} s`);
        }
      }
    }
    return { ok: reasons.length === 0, reasons };
  }
}
