import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { deserializeError } from '../errors/serialize-error.js';
import type { Logger } from '../telemetry/logger.js';
import { type Assignment, type ClusterPort, kafkaCluster, type MembershipPort } from './kafka-cluster.js';
import type { PartitionWorkerData } from './partition-worker-data.js';
import { assertNever, type WorkerToMain } from './protocol.js';
import { decisionEvent, type RuntimeEvents, silentEvents } from './runtime-events.js';
import {
  type Directive,
  decide,
  type Failure,
  RestartBudget,
  type SupervisionPolicy,
  spendsBudget,
} from './supervision-decider.js';
import {
  spawnWorkerThread,
  WORKER_OUT_OF_MEMORY,
  type WorkerFactory,
  type WorkerHandle,
} from './worker-host.js';
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
 *    (own partition fetcher, route actors, flush to Redis)
 *       │ counters in a SharedArrayBuffer, read by /metrics
 *
 * Partitions of the router topic and (with PLATFORM_TOPIC on) the platform
 * topic are spread over `WORKER_THREADS` threads, least-loaded first; a platform
 * partition weighs PLATFORM_PARTITION_WEIGHT of a router partition (about two
 * lines per dyno per 20 s against every request). Every
 * failure a thread or a partition reports goes through `decide()`
 * (supervision-decider.ts has the table) and is logged and counted as a named
 * event: a crashed thread is restarted with backoff and its partitions
 * re-claimed from their last flushed offsets, an out-of-memory thread restarts
 * later with smaller fetches, a failed partition is re-claimed with backoff,
 * and too many restarts within the window escalate: the process exits non-zero
 * for its orchestrator to restart.
 */
export interface SupervisorOptions {
  config: Config;
  logger: Logger;
  /** the decider's numbers; `config.runtime.supervision` unless a test overrides them */
  policy?: SupervisionPolicy;
  events?: RuntimeEvents;
  /** called when supervision escalates; the CLI exits non-zero */
  onEscalate?: (reason: string) => void;
  /** Kafka (topic, group membership); the real cluster by default */
  cluster?: ClusterPort;
  /** how worker threads are made; real threads by default */
  spawnWorker?: WorkerFactory;
}

/**
 * How much a platform partition loads a worker thread, relative to a router
 * partition: a dyno writes ~2 platform lines per 20 s, while the router writes one
 * line per request; a quarter keeps a thread with only platform partitions from
 * being picked before every thread has its share of router partitions.
 */
export const PLATFORM_PARTITION_WEIGHT = 0.25;

/** A partition of one of the two topics, and the key it is known by here (`topic:partition`). */
interface TopicPartition {
  topic: string;
  partition: number;
}
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export class Supervisor {
  readonly instanceId = randomUUID().slice(0, 8);
  readonly topic: string;
  /** the platform topic, or null when PLATFORM_TOPIC is off */
  readonly platformTopic: string | null;
  private readonly cluster: ClusterPort;
  private readonly spawnWorker: WorkerFactory;
  private readonly policy: SupervisionPolicy;
  private readonly workers: WorkerHandle[] = [];
  /** each thread's share of the fetch and pending bounds (shrinks after out-of-memory exits) */
  private readonly fetchScale: number[] = [];
  private readonly budget: RestartBudget;
  private readonly events: RuntimeEvents;
  /** partitions the group gave this process, by key */
  private assigned = new Map<string, TopicPartition>();
  /** partition key → worker id, for partitions currently handed to a worker */
  private readonly placement = new Map<string, number>();
  private membership: MembershipPort | null = null;
  private counters: PartitionCounters | null = null;
  private platformCountersView: PartitionCounters | null = null;
  private metricsBuffer: SharedArrayBuffer | null = null;
  private platformMetricsBuffer: SharedArrayBuffer | null = null;
  private maxPartitions = 0;
  private stopping = false;
  private escalated = false;
  private shutdownWaiters = new Set<number>();
  private shutdownDone: (() => void) | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.topic = opts.config.topics.router;
    this.platformTopic = opts.config.topics.platform;
    this.policy = opts.policy ?? opts.config.runtime.supervision;
    this.cluster = opts.cluster ?? kafkaCluster(opts.config, this.instanceId, opts.logger);
    this.spawnWorker = opts.spawnWorker ?? spawnWorkerThread;
    this.budget = new RestartBudget(this.policy);
    this.events = opts.events ?? silentEvents;
  }

  get partitionCounters(): PartitionCounters {
    if (!this.counters) throw new RoutemeterError('RM_ERR_NOT_STARTED', 'supervisor not started');
    return this.counters;
  }

  /** the platform partitions' counters (same layout as the router partitions') */
  get platformCounters(): PartitionCounters {
    if (!this.platformCountersView) throw new RoutemeterError('RM_ERR_NOT_STARTED', 'supervisor not started');
    return this.platformCountersView;
  }

  /** Ready: started, in the group, not stopping, and every worker thread alive. */
  get ready(): boolean {
    return this.membership !== null && !this.stopping && this.workers.every((w) => w?.alive);
  }

  /** ids of the worker threads running now (liveness checks their heartbeats) */
  get liveWorkerIds(): number[] {
    return this.workers.filter((w) => w?.alive).map((w) => w.id);
  }

  /** router partitions the group gave this process */
  get ownedPartitions(): number[] {
    return this.owned(this.topic);
  }

  /** platform partitions the group gave this process */
  get ownedPlatformPartitions(): number[] {
    return this.platformTopic === null ? [] : this.owned(this.platformTopic);
  }

  private owned(topic: string): number[] {
    const out: number[] = [];
    for (const tp of this.assigned.values()) if (tp.topic === topic) out.push(tp.partition);
    return out.sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const { config, logger } = this.opts;
    const partitionCount = await this.cluster.prepare();
    // Room for partitions added later without reallocating the shared counters.
    this.maxPartitions = Math.max(1024, partitionCount * 2);
    this.metricsBuffer = PartitionCounters.allocate(this.maxPartitions);
    this.counters = new PartitionCounters(this.metricsBuffer, this.maxPartitions);
    this.platformMetricsBuffer = PartitionCounters.allocate(this.maxPartitions);
    this.platformCountersView = new PartitionCounters(this.platformMetricsBuffer, this.maxPartitions);
    for (let id = 0; id < config.runtime.workerThreads; id++) this.spawn(id);
    const membership = this.cluster.membership(
      (assignment) => this.onAssignment(assignment),
      (err, willRestart) => {
        logger.error({ err, willRestart }, 'group membership consumer crashed');
        if (!willRestart && !this.stopping) this.apply({ kind: 'membership-lost' }, null);
      },
    );
    this.membership = membership;
    await membership.start().catch((err) => {
      this.membership = null;
      throw err;
    });
    logger.info(
      {
        topic: this.topic,
        platformTopic: this.platformTopic,
        group: config.consumerGroup,
        workers: config.runtime.workerThreads,
        partitionCount,
      },
      'supervisor started',
    );
  }

  private spawn(id: number): WorkerHandle {
    const data: PartitionWorkerData = {
      config: this.opts.config,
      metricsBuffer: this.metricsBuffer!,
      platformMetricsBuffer: this.platformMetricsBuffer!,
      maxPartitions: this.maxPartitions,
      workerId: id,
      fetchScale: this.fetchScale[id] ?? 1,
    };
    const host = this.spawnWorker(
      id,
      data,
      (h, msg) => this.onWorkerMessage(h, msg),
      (h, err, code) => this.onWorkerExit(h, err, code),
    );
    this.workers[id] = host;
    host.start();
    return host;
  }

  private onAssignment(assignment: Assignment): void {
    if (this.stopping) return;
    const next = new Map<string, TopicPartition>();
    for (const partition of assignment.router)
      next.set(partitionKey(this.topic, partition), { topic: this.topic, partition });
    if (this.platformTopic !== null) {
      for (const partition of assignment.platform)
        next.set(partitionKey(this.platformTopic, partition), { topic: this.platformTopic, partition });
    }
    for (const [key, tp] of this.assigned) if (!next.has(key)) this.revoke(tp);
    this.assigned = next;
    // Router partitions first, so that they spread evenly whatever the platform ones weigh.
    for (const [key, tp] of next) if (!this.placement.has(key)) this.place(tp);
    this.events.assignment(assignment);
  }

  private weight(key: string): number {
    return this.platformTopic !== null && this.assigned.get(key)?.topic === this.platformTopic
      ? PLATFORM_PARTITION_WEIGHT
      : 1;
  }

  private load(w: WorkerHandle): number {
    let load = 0;
    for (const key of w.partitions) load += this.weight(key);
    return load;
  }

  private place({ topic, partition }: TopicPartition): void {
    const live = this.workers.filter((w) => w?.alive);
    if (live.length === 0) return; // placed again when a worker restarts
    const target = live.reduce((a, b) => (this.load(b) < this.load(a) ? b : a));
    const key = partitionKey(topic, partition);
    target.partitions.add(key);
    this.placement.set(key, target.id);
    target.send({ code: 'assign', topic, partition });
  }

  /** Places a partition again after `delayMs`, if it is still ours and nowhere else by then. */
  private placeLater(key: string, delayMs: number): void {
    setTimeout(() => {
      const tp = this.assigned.get(key);
      if (!this.stopping && tp !== undefined && !this.placement.has(key)) this.place(tp);
    }, delayMs).unref();
  }

  private revoke({ topic, partition }: TopicPartition): void {
    const id = this.placement.get(partitionKey(topic, partition));
    if (id === undefined) return;
    this.workers[id]?.send({ code: 'revoke', topic, partition });
  }

  private onWorkerMessage(host: WorkerHandle, msg: WorkerToMain): void {
    const { logger } = this.opts;
    switch (msg.code) {
      case 'ready':
        return;
      case 'partition-started':
        this.events.partitionStarted(msg.partition, msg.epoch, msg.offset, msg.topic);
        return;
      case 'flushed':
        this.membership?.commitLater(msg.topic, msg.partition, msg.nextOffset);
        this.events.flushed(msg);
        return;
      case 'flush-failed':
        this.events.flushFailed(msg.partition, deserializeError(msg.error), msg.topic);
        return;
      case 'decision':
        // Decided and logged in the worker; counted here.
        this.events.decision(msg.failure, msg.directive);
        return;
      case 'partition-stopped': {
        const key = partitionKey(msg.topic, msg.partition);
        host.partitions.delete(key);
        if (this.placement.get(key) === host.id) this.placement.delete(key);
        if (msg.nextOffset !== null) this.membership?.commitLater(msg.topic, msg.partition, msg.nextOffset);
        this.events.partitionStopped(msg.partition, msg.reason, msg.topic);
        if (this.stopping || !this.assigned.has(key)) return;
        const code = msg.error?.code ?? 'UNKNOWN';
        switch (msg.reason) {
          case 'revoked':
          case 'shutdown':
            return;
          case 'fenced':
            this.apply({ kind: 'fenced' }, null, key);
            return;
          case 'failed':
            this.apply({ kind: 'partition-failed', partition: msg.partition, code }, null, key);
            return;
          case 'start-failed':
            this.apply({ kind: 'start-failed', partition: msg.partition, code }, null, key);
            return;
          default:
            assertNever(msg.reason, 'supervisor partition-stopped');
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

  private onWorkerExit(host: WorkerHandle, error: Error | null, exitCode: number): void {
    const orphans = [...host.partitions];
    host.partitions.clear();
    for (const p of orphans) if (this.placement.get(p) === host.id) this.placement.delete(p);
    if (this.stopping) {
      this.shutdownWaiters.delete(host.id);
      if (this.shutdownWaiters.size === 0) this.shutdownDone?.();
      return;
    }
    this.opts.logger.error({ worker: host.id, exitCode, err: error }, 'worker thread exited');
    const outOfMemory = (error as { code?: unknown } | null)?.code === WORKER_OUT_OF_MEMORY;
    this.apply(
      outOfMemory
        ? { kind: 'worker-out-of-memory', workerId: host.id, fetchScale: this.fetchScale[host.id] ?? 1 }
        : { kind: 'worker-crashed', workerId: host.id },
      host,
    );
  }

  /** Carries out the decider's directive for a failure; every decision is a logged, counted event. */
  private apply(failure: Failure, host: WorkerHandle | null, partition?: string): void {
    const restarts = spendsBudget(failure) ? this.budget.spend(Date.now()) : this.budget.recent;
    const directive: Directive = decide(failure, this.policy, restarts);
    this.events.decision(failure, directive);
    const tp = partition === undefined ? undefined : this.assigned.get(partition);
    decisionEvent(
      this.opts.logger,
      { topic: tp?.topic, partition: tp?.partition, worker: host?.id, restarts },
      failure,
      directive,
    );
    switch (directive.action) {
      case 'restart':
        if (!host) return;
        this.fetchScale[host.id] = directive.fetchScale;
        setTimeout(() => {
          if (this.stopping) return;
          const fresh = this.spawn(host.id);
          this.events.workerRestarted(fresh.id);
          for (const [key, tp] of this.assigned) if (!this.placement.has(key)) this.place(tp);
        }, directive.delayMs).unref();
        return;
      case 'restart-partition':
        if (partition !== undefined) this.placeLater(partition, directive.delayMs);
        return;
      case 'stop-partition':
        // Fenced: a newer owner holds the claim. If the group still gives us the
        // partition (the fence came from a stale claim), claim it again later;
        // the group settles who owns it within a heartbeat or two.
        if (partition !== undefined && failure.kind === 'fenced') {
          this.placeLater(partition, this.policy.fencedRetryMs);
        }
        return;
      case 'escalate':
        if (this.escalated) return;
        this.escalated = true;
        this.opts.logger.fatal(
          {
            err: new RoutemeterError(
              failure.kind === 'membership-lost'
                ? 'RM_ERR_KAFKA_UNAVAILABLE'
                : 'RM_ERR_RESTART_BUDGET_EXHAUSTED',
              directive.reason,
            ),
          },
          'supervision escalated; exiting for the orchestrator',
        );
        this.opts.onEscalate?.(directive.reason);
        return;
      case 'resume':
      case 'retry':
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
    const { leaveGroupTimeoutMs } = this.opts.config.runtime.supervision;
    const deadline = Date.now() + timeoutMs;
    const live = this.workers.filter((w) => w?.alive);
    this.shutdownWaiters = new Set(live.map((w) => w.id));
    const done = new Promise<void>((resolve) => {
      this.shutdownDone = resolve;
      if (this.shutdownWaiters.size === 0) resolve();
    });
    for (const w of live) w.send({ code: 'shutdown' });
    // The workers' share ends early enough to leave the group and commit.
    const clean = await Promise.race([
      done.then(() => true),
      new Promise<boolean>((r) =>
        setTimeout(() => r(false), Math.max(0, deadline - Date.now() - leaveGroupTimeoutMs - 500)).unref(),
      ),
    ]);
    if (!clean) logger.warn('workers did not finish flushing in time; unflushed records will be re-read');
    try {
      await Promise.race([
        this.membership?.stop(),
        new Promise((r) => setTimeout(r, leaveGroupTimeoutMs).unref()),
      ]);
    } catch (err) {
      logger.warn({ err }, 'leaving the consumer group failed');
    }
    await Promise.allSettled(this.workers.map((w) => w?.terminate()));
    await this.cluster.close();
    logger.info({ clean }, 'supervisor stopped');
    return clean;
  }
}
