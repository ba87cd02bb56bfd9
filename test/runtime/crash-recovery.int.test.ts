import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exited, CLI_MAIN as MAIN } from '../support/child-process.js';
import { dynoDiffs, dynoOracle, makeDynoLines, readStoredDynoTotals } from '../support/dyno-fleet-oracle.js';
import { useTopic, waitFor, withAdmin } from '../support/kafka.js';
import { makeRouterLines, prng } from '../support/router-lines.js';
import {
  childEnv,
  deleteKeys,
  expectExact,
  highWatermarks,
  metricSum,
  readStoredTotals,
  runtimeConfig,
  seed,
  seedPlatform,
  storedProgress,
  testRedis,
  useSeededRuntime,
  waitFlushed,
} from './runtime-harness.js';

function startChild(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [MAIN, 'run'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('crash recovery (real Kafka and Redis)', () => {
  it('keeps totals exact when the process is killed with SIGKILL five times mid-run (router and dyno)', async () => {
    const topic = await useTopic('rt-kill9', 4);
    const platformTopic = await useTopic('rt-kill9-platform', 3);
    const lines = makeRouterLines(200_000, { seed: 11, apps: 8, stepMs: 1 });
    await seed(topic, lines);
    // Platform lines of six apps' dynos arrive in six parts, one before each process
    // starts, so that kills hit platform partitions mid-stream too. One app's records
    // carry no app header (recorded under "-").
    const dynoHosts = Array.from({ length: 6 }, (_, i) => `dyno-${i}.herokuapp.com`);
    const dynoLines = makeDynoLines({
      seed: 12,
      apps: dynoHosts.map((host, i) => ({ host, dynos: 3 + i })),
      startMs: Date.UTC(2026, 0, 1),
      durationMs: 60 * 60_000,
    });
    const anonymous = dynoHosts[5]!;
    const dynoWant = dynoOracle(dynoLines, (l) => (l.app === anonymous ? '-' : l.app));
    const dynoPart = Math.ceil(dynoLines.length / 6);
    let dynoSeeded = 0;
    const seedDynoPart = async () => {
      await seedPlatform(
        platformTopic,
        dynoLines.slice(dynoSeeded, dynoSeeded + dynoPart),
        (app) => app !== anonymous,
      );
      dynoSeeded += dynoPart;
    };
    const config = runtimeConfig(topic, { FLUSH_INTERVAL_MS: '100', PLATFORM_TOPIC: platformTopic });
    const redis = testRedis(config);
    onTestFinished(async () => {
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    });
    const random = prng(2024);
    // kill points: one in each of 5–15 %, 20–30 %, 35–45 %, 50–60 % and 65–75 % of the records stored
    const marks = [0.05, 0.2, 0.35, 0.5, 0.65].map((base) =>
      Math.floor((base + random() * 0.1) * lines.length),
    );
    const killedAt: number[] = [];
    const started = Date.now();
    for (const mark of marks) {
      await seedDynoPart();
      const child = startChild(childEnv(config, { MAX_PENDING_RECORDS: '20000' }));
      await waitFor(async () => (await storedProgress(redis, config)) >= mark, {
        timeoutMs: 120_000,
        intervalMs: 25,
        message: `stored progress past ${mark}`,
      });
      child.kill('SIGKILL');
      await exited(child);
      killedAt.push(await storedProgress(redis, config));
    }
    const before = await storedProgress(redis, config);
    expect(before).toBeLessThan(lines.length);
    await seedDynoPart();
    expect(dynoSeeded).toBeGreaterThanOrEqual(dynoLines.length);
    const last = startChild(childEnv(config));
    await waitFlushed(redis, config, 180_000);
    await waitFlushed(redis, config, 60_000, platformTopic);
    last.kill('SIGTERM');
    expect(await exited(last)).toBe(0);
    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.rollupSeconds));
    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.windowSeconds));
    for (const res of [config.runtime.windowSeconds, config.runtime.rollupSeconds]) {
      const stored = await readStoredDynoTotals(redis, config.redis.prefix, platformTopic, res);
      expect(dynoDiffs(stored, dynoWant.totals).slice(0, 10), `dyno totals at ${res} s`).toEqual([]);
    }
    console.log(
      `[kill-9] ${marks.length} SIGKILLs at stored ${killedAt.join(', ')} of ${lines.length}; ` +
        `lost 0, doubled 0 (both resolutions exact); ${dynoLines.length} platform lines of ` +
        `${dynoWant.totals.size} dynos exact too; ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  });

  it('restarts a worker thread that throws and keeps totals exact', async () => {
    const topic = await useTopic('rt-throw', 4);
    const lines = makeRouterLines(60_000, { seed: 5 });
    const { config, redis, runtime } = await useSeededRuntime(topic, lines, { FLUSH_INTERVAL_MS: '100' });
    await waitFor(async () => (await storedProgress(redis, config)) > 5000, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    runtime.supervisor.injectWorkerCrash(0);
    runtime.supervisor.injectWorkerCrash(1);
    await waitFlushed(redis, config);
    const metrics = await runtime.registry.metrics();
    const restarts = metricSum(metrics, 'routemeter_worker_restarts_total');
    expect(restarts).toBe(2);
    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.rollupSeconds));
  });

  it('shares partitions between two processes; one leaves mid-run; totals stay exact', async () => {
    const topic = await useTopic('rt-fleet', 6);
    const lines = makeRouterLines(150_000, { seed: 3, apps: 12 });
    const config = runtimeConfig(topic, { FLUSH_INTERVAL_MS: '100', WORKER_THREADS: '1' });
    const redis = testRedis(config);
    onTestFinished(async () => {
      await deleteKeys(redis, config.redis.prefix);
      redis.disconnect();
    });
    await seed(topic, lines.slice(0, 30_000));
    const a = startChild(childEnv(config));
    const b = startChild(childEnv(config));
    // Both processes are members of the group, each owning some partitions.
    await waitFor(
      async () => {
        const [group] = (await withAdmin((admin) => admin.describeGroups([config.consumerGroup]))).groups;
        return group?.state === 'Stable' && group.members.length === 2;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'two stable members' },
    );
    // Traffic keeps arriving while b leaves: its partitions move to a mid-stream.
    const chunks = 8;
    const rest = lines.slice(30_000);
    const size = Math.ceil(rest.length / chunks);
    for (let i = 0; i < chunks; i++) {
      await seed(topic, rest.slice(i * size, (i + 1) * size));
      if (i === chunks / 2) {
        b.kill('SIGTERM');
        expect(await exited(b)).toBe(0);
      }
    }
    await waitFlushed(redis, config, 180_000);
    a.kill('SIGTERM');
    expect(await exited(a)).toBe(0);
    expectExact(lines, await readStoredTotals(redis, config.redis.prefix, config.runtime.rollupSeconds));
    // Flushed offsets were committed to the group too, so Kafka's own tools see no lag.
    const committed = await withAdmin((admin) =>
      admin.fetchOffsets({ groupId: config.consumerGroup, topics: [topic] }),
    );
    const highs = await highWatermarks(topic);
    for (const p of committed[0]!.partitions)
      expect(p.offset, `partition ${p.partition}`).toBe(highs.get(p.partition));
  });
});
