import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { RoutemeterError } from '../../src/errors/routemeter-error.js';
import { serializeError } from '../../src/errors/serialize-error.js';
import type { Assignment, ClusterPort, MembershipPort } from '../../src/runtime/kafka-cluster.js';
import type { PartitionWorkerData } from '../../src/runtime/partition-worker-data.js';
import type { MainToWorker, WorkerToMain } from '../../src/runtime/protocol.js';
import type { RuntimeEvents } from '../../src/runtime/runtime-events.js';
import type { Directive, Failure, SupervisionPolicy } from '../../src/runtime/supervision-decider.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import type {
  WorkerExitHandler,
  WorkerFactory,
  WorkerHandle,
  WorkerMessageHandler,
} from '../../src/runtime/worker-host.js';
import { createLogger } from '../../src/telemetry/logger.js';

/** A worker thread that only records what it is sent; the test plays its part. */
class FakeWorker implements WorkerHandle {
  readonly partitions = new Set<string>();
  readonly sent: MainToWorker[] = [];
  alive = false;
  constructor(
    readonly id: number,
    readonly data: PartitionWorkerData,
    private readonly onMessage: WorkerMessageHandler,
    private readonly onExit: WorkerExitHandler,
  ) {}
  start(): void {
    this.alive = true;
  }
  send(msg: MainToWorker): void {
    this.sent.push(msg);
    if (msg.code === 'shutdown') this.onMessage(this, { code: 'shutdown-complete' });
  }
  async terminate(): Promise<void> {
    this.alive = false;
  }
  post(msg: WorkerToMain): void {
    this.onMessage(this, msg);
  }
  exit(error: Error | null, code = 1): void {
    this.alive = false;
    this.onExit(this, error, code);
  }
  assigned(): number[] {
    return this.sent.flatMap((m) => (m.code === 'assign' ? [m.partition] : []));
  }
}

const policy: SupervisionPolicy = {
  maxRestarts: 2,
  windowMs: 60_000,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
  fencedRetryMs: 3000,
  oomBackoffMs: 5000,
};

function setup(workerThreads = 2) {
  const config = loadConfig({ WORKER_THREADS: String(workerThreads) });
  const spawned: FakeWorker[] = [];
  const spawnWorker: WorkerFactory = (id, data, onMessage, onExit) => {
    const w = new FakeWorker(id, data, onMessage, onExit);
    spawned.push(w);
    return w;
  };
  let assign: (assignment: Assignment) => void = () => {};
  const membership: MembershipPort = { start: async () => {}, stop: async () => {}, commitLater: vi.fn() };
  const cluster: ClusterPort = {
    prepare: async () => 6,
    membership: (onAssignment) => {
      assign = onAssignment;
      return membership;
    },
    close: async () => {},
  };
  const decisions: Array<{ failure: Failure; directive: Directive }> = [];
  const events: RuntimeEvents = {
    assignment: () => {},
    partitionStarted: () => {},
    partitionStopped: () => {},
    flushed: () => {},
    flushFailed: () => {},
    workerRestarted: () => {},
    decision: (failure, directive) => decisions.push({ failure, directive }),
  };
  const escalations: string[] = [];
  const supervisor = new Supervisor({
    config,
    logger: createLogger('silent'),
    policy,
    events,
    cluster,
    spawnWorker,
    onEscalate: (reason) => escalations.push(reason),
  });
  /** the live worker with this id (the latest spawn) */
  const worker = (id: number) => spawned.filter((w) => w.id === id).at(-1)!;
  const stopped = (
    w: FakeWorker,
    partition: number,
    reason: 'fenced' | 'failed' | 'start-failed',
    code?: string,
  ) =>
    w.post({
      code: 'partition-stopped',
      topic: config.topics.router,
      partition,
      reason,
      nextOffset: '10',
      ...(code ? { error: serializeError(new RoutemeterError(code as 'RM_ERR_REDIS_SCRIPT', 'x')) } : {}),
    });
  return {
    supervisor,
    spawned,
    worker,
    assign: (p: number[], platform: number[] = []) => assign({ router: p, platform }),
    decisions,
    escalations,
    stopped,
    membership,
  };
}

const actions = (d: Array<{ failure: Failure; directive: Directive }>) =>
  d.map((x) => `${x.failure.kind}→${x.directive.action}`);

afterEach(() => {
  vi.useRealTimers();
});

describe('Supervisor (fake worker threads and cluster)', () => {
  it('spreads partitions fewest-first and revokes what the group takes away', async () => {
    const t = setup(2);
    await t.supervisor.start();
    expect(t.spawned.map((w) => w.id)).toEqual([0, 1]);
    t.assign([0, 1, 2, 3, 4]);
    expect(t.worker(0).assigned()).toEqual([0, 2, 4]);
    expect(t.worker(1).assigned()).toEqual([1, 3]);
    expect(t.supervisor.ready).toBe(true);
    t.assign([0, 1, 2]);
    expect(
      t
        .worker(1)
        .sent.filter((m) => m.code === 'revoke')
        .map((m) => m.code === 'revoke' && m.partition),
    ).toEqual([3]);
    expect(
      t
        .worker(0)
        .sent.filter((m) => m.code === 'revoke')
        .map((m) => m.code === 'revoke' && m.partition),
    ).toEqual([4]);
    expect(t.supervisor.ownedPartitions).toEqual([0, 1, 2]);
  });

  it('places platform partitions like router ones, by weight, and revokes them by topic', async () => {
    const t = setup(2);
    await t.supervisor.start();
    const platform = t.supervisor.platformTopic!;
    expect(platform).toBe('platform-logs');
    t.assign([0, 1, 2], [0, 1, 2, 3]);
    const placed = (w: number) =>
      t
        .worker(w)
        .sent.flatMap((m) =>
          m.code === 'assign' ? [`${m.topic === platform ? 'p' : 'r'}${m.partition}`] : [],
        );
    // router first (w0 gets 2, w1 gets 1); each platform partition weighs a quarter, so w1
    // takes platform partitions until it weighs as much as w0 (a tie goes to the lower id)
    expect(placed(0)).toEqual(['r0', 'r2']);
    expect(placed(1)).toEqual(['r1', 'p0', 'p1', 'p2', 'p3']);
    t.assign([0, 1, 2], [0, 1, 2, 3, 4]);
    expect(placed(0)).toEqual(['r0', 'r2', 'p4']);
    expect(t.supervisor.ownedPlatformPartitions).toEqual([0, 1, 2, 3, 4]);
    expect(t.supervisor.ownedPartitions).toEqual([0, 1, 2]);
    // the group takes platform partition 1 away: only it is revoked, on its own topic
    t.assign([0, 1, 2], [0, 2, 3, 4]);
    expect(t.worker(1).sent.flatMap((m) => (m.code === 'revoke' ? [[m.topic, m.partition]] : []))).toEqual([
      [platform, 1],
    ]);
    // a flushed platform partition commits its own topic's offset
    t.worker(1).post({
      code: 'flushed',
      topic: platform,
      partition: 0,
      nextOffset: '7',
      records: 7,
      durationSeconds: 0.001,
      routes: [],
    });
    expect(t.membership.commitLater).toHaveBeenCalledWith(platform, 0, '7');
  });

  it('restarts a crashed worker after the policy backoff and places its partitions on the fresh thread', async () => {
    vi.useFakeTimers();
    const t = setup(2);
    await t.supervisor.start();
    t.assign([0, 1, 2, 3]);
    t.worker(0).exit(new RoutemeterError('RM_ERR_WORKER_CRASHED', 'boom'));
    expect(actions(t.decisions)).toEqual(['worker-crashed→restart']);
    expect(t.supervisor.ready).toBe(false);
    vi.advanceTimersByTime(99);
    expect(t.spawned).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(t.spawned).toHaveLength(3);
    // the orphans go to the least-loaded live thread, the fresh one
    expect(t.worker(0).assigned()).toEqual([0, 2]);
    expect(t.supervisor.ready).toBe(true);
  });

  it('escalates once the restart budget is spent', async () => {
    vi.useFakeTimers();
    const t = setup(1);
    await t.supervisor.start();
    for (let i = 0; i < 3; i++) {
      t.worker(0).exit(new Error('crash'));
      vi.advanceTimersByTime(10_000);
    }
    expect(actions(t.decisions)).toEqual([
      'worker-crashed→restart',
      'worker-crashed→restart',
      'worker-crashed→escalate',
    ]);
    expect(t.escalations).toHaveLength(1);
    expect(t.spawned).toHaveLength(3);
  });

  it('restarts an out-of-memory worker later, with a smaller fetch, never in a tight loop', async () => {
    vi.useFakeTimers();
    const t = setup(1);
    await t.supervisor.start();
    t.assign([0]);
    const oom = Object.assign(new Error('Worker terminated due to reaching memory limit'), {
      code: 'ERR_WORKER_OUT_OF_MEMORY',
    });
    t.worker(0).exit(oom);
    expect(t.decisions[0]?.directive).toEqual({ action: 'restart', delayMs: 5000, fetchScale: 0.5 });
    vi.advanceTimersByTime(4999);
    expect(t.spawned).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(t.spawned).toHaveLength(2);
    expect(t.worker(0).data.fetchScale).toBe(0.5);
    expect(t.worker(0).assigned()).toEqual([0]);
    t.worker(0).exit(oom);
    vi.advanceTimersByTime(5000);
    expect(t.worker(0).data.fetchScale).toBe(0.25);
  });

  it('re-claims a fenced partition after fencedRetryMs without spending the budget', async () => {
    vi.useFakeTimers();
    const t = setup(1);
    await t.supervisor.start();
    t.assign([5]);
    t.stopped(t.worker(0), 5, 'fenced');
    expect(actions(t.decisions)).toEqual(['fenced→stop-partition']);
    vi.advanceTimersByTime(2999);
    expect(t.worker(0).assigned()).toEqual([5]);
    vi.advanceTimersByTime(1);
    expect(t.worker(0).assigned()).toEqual([5, 5]);
    expect(t.membership.commitLater).toHaveBeenCalledWith('router-logs', 5, '10');
  });

  it('re-claims a failed partition with backoff, spending the budget, and escalates a partition that keeps failing', async () => {
    vi.useFakeTimers();
    const t = setup(1);
    await t.supervisor.start();
    t.assign([2]);
    t.stopped(t.worker(0), 2, 'failed', 'RM_ERR_REDIS_SCRIPT');
    expect(t.decisions[0]).toEqual({
      failure: { kind: 'partition-failed', partition: 2, code: 'RM_ERR_REDIS_SCRIPT' },
      directive: { action: 'restart-partition', delayMs: 100 },
    });
    vi.advanceTimersByTime(100);
    expect(t.worker(0).assigned()).toEqual([2, 2]);
    t.stopped(t.worker(0), 2, 'start-failed', 'RM_ERR_REDIS_SCRIPT');
    vi.advanceTimersByTime(200);
    expect(t.worker(0).assigned()).toEqual([2, 2, 2]);
    t.stopped(t.worker(0), 2, 'failed', 'RM_ERR_REDIS_SCRIPT');
    expect(actions(t.decisions)).toEqual([
      'partition-failed→restart-partition',
      'start-failed→restart-partition',
      'partition-failed→escalate',
    ]);
    expect(t.escalations[0]).toContain('RM_ERR_REDIS_SCRIPT');
  });

  it('counts the decisions a worker took and does not re-place partitions revoked or stopped at shutdown', async () => {
    const t = setup(1);
    await t.supervisor.start();
    t.assign([1]);
    t.worker(0).post({
      code: 'decision',
      topic: 'router-logs',
      partition: 1,
      failure: { kind: 'store-unavailable', attempt: 1 },
      directive: { action: 'retry', delayMs: 100 },
    });
    expect(actions(t.decisions)).toEqual(['store-unavailable→retry']);
    expect(await t.supervisor.shutdown(5000)).toBe(true);
    t.worker(0).post({
      code: 'partition-stopped',
      topic: 'x',
      partition: 1,
      reason: 'shutdown',
      nextOffset: '3',
    });
    expect(actions(t.decisions)).toEqual(['store-unavailable→retry']);
  });
});
