import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { deserializeError } from '../errors/serialize-error.js';
import { ensureTopics } from '../kafka/ensure-topics.js';
import { createKafka } from '../kafka/kafka-client.js';
import type { Logger } from '../telemetry/logger.js';
import { GroupMembership } from './group-membership.js';
import type { PartitionWorkerData } from './partition-worker.js';
import { assertNever, type WorkerToMain } from './protocol.js';
import { type RuntimeEvents, silentEvents } from './runtime-events.js';
import {
  type Directive,
  decide,
  type Failure,
  RestartBudget,
  type SupervisionPolicy,
} from './supervision-decider.js';
import { WorkerHost } from './worker-host.js';
import { PartitionCounters } from './worker-metrics.js';

/**
 * The supervisor: the main thread of a `routemeter run` process.
 *
 *            Kafka consumer group (the fleet)
 *                      │ GROUP_JOIN: partitions of this process
 *                      ▼
 *   ┌──────────── Supervisor (main thread) ─────────────┐
 *   │ GroupMembership (paused, commits flushed offsets) │
 *   │ placement: partition → worker thread              │
 *   │ decide(failure) → directive, restart budget       │
 *   └───┬─────────────────────┬─────────────────────────┘
 *       │ assign / revoke     │ postMessage (protocol.ts)
 *       ▼                     ▼
 *   worker thread 0        worker thread 1 …
 *    PartitionConsumer p0   PartitionConsumer p1, p3
 *    (own kafkajs consumer, route actors, flush to Redis)
 *       │ counters in a SharedArrayBuffer, read by /metrics
 *
 * Partitions are spread over `WORKER_THREADS` threads, fewest-first. A crashed
 * thread is restarted with backoff and its partitions re-claimed from their
 * last flushed offsets; too many restarts within the window escalate, and the
 * process exits non-zero for its orchestrator to restart.
 */
export interface SupervisorOptions {
  config: Config;
  logger: Logger;
  policy: SupervisionPolicy;
  events?: RuntimeEvents;
  /** called when supervision escalates; the CLI exits non-zero */
  onEscalate?: (reason: string) => void;
}

export class Supervisor {
  readonly instanceId = randomUUID().slice(0, 8);
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly workers: WorkerHost[] = [];
  private readonly budget: RestartBudget;
  private readonly events: RuntimeEvents;
  /** partitions the group gave this process */
  private assigned = new Set<number>();
  /** partition → worker id, for partitions currently handed to a worker */
  private readonly placement = new Map<number, number>();
  private membership: GroupMembership | null = null;
  private counters: PartitionCounters | null = null;
  private metricsBuffer: SharedArrayBuffer | null = null;
  private maxPartitions = 0;
  private stopping = false;
  private escalated = false;
  private shutdownWaiters = new Set<number>();
  private shutdownDone: (() => void) | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.topic = opts.config.topics.router;
    this.kafka = createKafka(opts.config, `routemeter-supervisor-${this.instanceId}`);
    this.admin = this.kafka.admin();
    this.budget = new RestartBudget(opts.policy);
    this.events = opts.events ?? silentEvents;
  }

  get partitionCounters(): PartitionCounters {
    if (!this.counters) throw new Error('supervisor not started');
    return this.counters;
  }

  /** Ready: started, in the group, not stopping, and every worker thread alive. */
  get ready(): boolean {
    return this.membership !== null && !this.stopping && this.workers.every((w) => w?.alive);
  }

  /** ids of the worker threads running now (liveness checks their heartbeats) */
  get liveWorkerIds(): number[] {
    return this.workers.filter((w) => w?.alive).map((w) => w.id);
  }

  get ownedPartitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const { config, logger } = this.opts;
    await this.admin.connect();
    const partitionCount = await ensureTopic(this.admin, this.topic, config.topics.partitions, logger);
    // Room for partitions added later without reallocating the shared counters.
    this.maxPartitions = Math.max(1024, partitionCount * 2);
    this.metricsBuffer = PartitionCounters.allocate(this.maxPartitions);
    this.counters = new PartitionCounters(this.metricsBuffer, this.maxPartitions);
    for (let id = 0; id < config.runtime.workerThreads; id++) this.spawn(id);
    this.membership = new GroupMembership(
      this.kafka,
      { groupId: config.consumerGroup, topic: this.topic },
      logger,
      (partitions) => this.onAssignment(partitions),
      (err, willRestart) => {
        logger.error({ err, willRestart }, 'group membership consumer crashed');
        if (!willRestart && !this.stopping) this.apply({ kind: 'membership-lost' }, null);
      },
    );
    await this.membership.start().catch((err) => {
      this.membership = null;
      throw err;
    });
    logger.info(
      {
        topic: this.topic,
        group: config.consumerGroup,
        workers: config.runtime.workerThreads,
        partitionCount,
      },
      'supervisor started',
    );
  }

  private spawn(id: number): WorkerHost {
    const data: PartitionWorkerData = {
      config: this.opts.config,
      metricsBuffer: this.metricsBuffer!,
      maxPartitions: this.maxPartitions,
      workerId: id,
      instanceId: this.instanceId,
    };
    const host = new WorkerHost(
      id,
      data,
      (h, msg) => this.onWorkerMessage(h, msg),
      (h, err, code) => this.onWorkerExit(h, err, code),
    );
    this.workers[id] = host;
    host.start();
    return host;
  }

  private onAssignment(partitions: number[]): void {
    if (this.stopping) return;
    const next = new Set(partitions);
    for (const p of this.assigned) if (!next.has(p)) this.revoke(p);
    this.assigned = next;
    for (const p of partitions) if (!this.placement.has(p)) this.place(p);
    this.events.assignment(partitions);
  }

  private place(partition: number): void {
    const live = this.workers.filter((w) => w?.alive);
    if (live.length === 0) return; // placed again when a worker restarts
    const target = live.reduce((a, b) => (b.partitions.size < a.partitions.size ? b : a));
    target.partitions.add(partition);
    this.placement.set(partition, target.id);
    target.send({ code: 'assign', topic: this.topic, partition });
  }

  private revoke(partition: number): void {
    const id = this.placement.get(partition);
    if (id === undefined) return;
    this.workers[id]?.send({ code: 'revoke', topic: this.topic, partition });
  }

  private onWorkerMessage(host: WorkerHost, msg: WorkerToMain): void {
    const { logger } = this.opts;
    switch (msg.code) {
      case 'ready':
        return;
      case 'partition-started':
        this.events.partitionStarted(msg.partition, msg.epoch, msg.offset);
        return;
      case 'flushed':
        this.membership?.commitLater(msg.partition, msg.nextOffset);
        this.events.flushed(msg);
        return;
      case 'flush-failed':
        this.events.flushFailed(msg.partition, deserializeError(msg.error));
        return;
      case 'partition-stopped': {
        host.partitions.delete(msg.partition);
        if (this.placement.get(msg.partition) === host.id) this.placement.delete(msg.partition);
        if (msg.nextOffset !== null) this.membership?.commitLater(msg.partition, msg.nextOffset);
        this.events.partitionStopped(msg.partition, msg.reason);
        // Still ours per the group? A failed partition is re-claimed after a pause;
        // a fenced one too, in case the fence came from a stale claim (the group
        // settles who owns it within a heartbeat or two).
        if (
          !this.stopping &&
          this.assigned.has(msg.partition) &&
          msg.reason !== 'revoked' &&
          msg.reason !== 'shutdown'
        ) {
          const failure: Failure =
            msg.reason === 'fenced' ? { kind: 'fenced' } : { kind: 'worker-crashed', workerId: host.id };
          const delay = msg.reason === 'fenced' ? 3000 : 500;
          logger.warn(
            { partition: msg.partition, reason: msg.reason, delay },
            'partition stopped; placing it again',
          );
          if (
            failure.kind === 'worker-crashed' &&
            this.budget.spend(Date.now()) > this.opts.policy.maxRestarts
          ) {
            this.apply(failure, null);
            return;
          }
          setTimeout(() => {
            if (!this.stopping && this.assigned.has(msg.partition) && !this.placement.has(msg.partition)) {
              this.place(msg.partition);
            }
          }, delay).unref();
        }
        return;
      }
      case 'shutdown-complete':
        this.shutdownWaiters.delete(host.id);
        if (this.shutdownWaiters.size === 0) this.shutdownDone?.();
        return;
      case 'fatal':
        logger.error({ worker: host.id, err: deserializeError(msg.error) }, 'worker reported a fatal error');
        return;
      default:
        assertNever(msg, 'supervisor');
    }
  }

  private onWorkerExit(host: WorkerHost, error: Error | null, exitCode: number): void {
    const orphans = [...host.partitions];
    host.partitions.clear();
    for (const p of orphans) if (this.placement.get(p) === host.id) this.placement.delete(p);
    if (this.stopping) {
      this.shutdownWaiters.delete(host.id);
      if (this.shutdownWaiters.size === 0) this.shutdownDone?.();
      return;
    }
    this.opts.logger.error({ worker: host.id, exitCode, err: error }, 'worker thread exited');
    this.apply({ kind: 'worker-crashed', workerId: host.id }, host);
  }

  /** Carries out the decider's directive for a failure. */
  private apply(failure: Failure, host: WorkerHost | null): void {
    const restarts =
      failure.kind === 'worker-crashed' && host ? this.budget.spend(Date.now()) : this.budget.recent;
    const directive: Directive = decide(failure, this.opts.policy, restarts);
    this.events.decision(failure, directive);
    this.opts.logger.warn({ failure, directive }, 'supervision decision');
    switch (directive.action) {
      case 'restart':
        setTimeout(() => {
          if (this.stopping || !host) return;
          const fresh = this.spawn(host.id);
          this.events.workerRestarted(fresh.id);
          for (const p of this.assigned) if (!this.placement.has(p)) this.place(p);
        }, directive.delayMs).unref();
        return;
      case 'escalate':
        if (this.escalated) return;
        this.escalated = true;
        this.opts.logger.fatal(
          { reason: directive.reason },
          'supervision escalated; exiting for the orchestrator',
        );
        this.opts.onEscalate?.(directive.reason);
        return;
      case 'resume':
      case 'retry':
      case 'stop-partition':
        return;
      default:
        assertNever(directive, 'supervisor.apply');
    }
  }

  /** Fault injection for tests and game days: worker `id` throws an uncaught error. */
  injectWorkerCrash(id: number, reason = 'fault injection'): void {
    this.workers[id]?.send({ code: 'crash', reason });
  }

  /** Fault injection for liveness tests: worker `id` blocks its event loop for `ms`. */
  injectWorkerStall(id: number, ms: number): void {
    this.workers[id]?.send({ code: 'stall', ms });
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /**
   * SIGTERM: workers stop fetching and flush; then offsets are committed and
   * the group is left (so the fleet rebalances at once), all within `timeoutMs`.
   */
  async shutdown(timeoutMs = this.opts.config.runtime.shutdownTimeoutMs): Promise<boolean> {
    if (this.stopping) return true;
    this.stopping = true;
    const { logger } = this.opts;
    const deadline = Date.now() + timeoutMs;
    const live = this.workers.filter((w) => w?.alive);
    this.shutdownWaiters = new Set(live.map((w) => w.id));
    const done = new Promise<void>((resolve) => {
      this.shutdownDone = resolve;
      if (this.shutdownWaiters.size === 0) resolve();
    });
    for (const w of live) w.send({ code: 'shutdown' });
    const clean = await Promise.race([
      done.then(() => true),
      new Promise<boolean>((r) =>
        setTimeout(() => r(false), Math.max(0, deadline - Date.now() - 3000)).unref(),
      ),
    ]);
    if (!clean) logger.warn('workers did not finish flushing in time; unflushed records will be re-read');
    try {
      await Promise.race([this.membership?.stop(), new Promise((r) => setTimeout(r, 2500).unref())]);
    } catch (err) {
      logger.warn({ err }, 'leaving the consumer group failed');
    }
    await Promise.allSettled(this.workers.map((w) => w?.terminate()));
    await this.admin.disconnect().catch(() => {});
    logger.info({ clean }, 'supervisor stopped');
    return clean;
  }
}

/** Creates the router topic if missing; returns its partition count. */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  logger: Logger,
): Promise<number> {
  await ensureTopics(admin, [topic], partitions, logger);
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const count = meta.topics[0]?.partitions.length ?? 0;
  if (count === 0) throw new RoutemeterError('RM_ERR_KAFKA_UNAVAILABLE', `topic ${topic} has no partitions`);
  return count;
}
