import { describe, expect, it, onTestFinished } from 'vitest';
import { compareOnce, startLogplexPoster } from '../support/logplex-poster.js';
import { startPrivateKafka } from '../support/private-kafka.js';
import { AUTH, readTopic, useDrain } from './drain-fixture.js';

/**
 * Fault scenario (issue 8 item 6, drain part): the broker stops for 70 s while a logplex-like
 * client posts. A PRIVATE broker (the test's own, on free ports) is stopped, never the shared one.
 *
 * Invariant: every line answered 2xx is in Kafka exactly once, and the client's retries of the
 * batches refused meanwhile are too. Also: every refusal within 5 s (logplex's deadline), the
 * drain recovers by itself (no restart), readiness is false during the outage and true after.
 * Run once (about 2 minutes): the CI budget has room for one such scenario, not one per case.
 */
const OUTAGE_MS = 70_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drain: broker stopped for 70 s (private broker)', () => {
  it('answers 503 within 5 s, recovers by itself, and writes every acknowledged line exactly once', async () => {
    const kafka = await startPrivateKafka();
    onTestFinished(() => kafka.close());
    const drain = await useDrain({ DRAIN_PRODUCE_TIMEOUT_MS: '4000' }, undefined, { kafkaUrl: kafka.url });
    const readyz = async () => {
      try {
        return (
          (await fetch(`http://127.0.0.1:${drain.port}/readyz`, { signal: AbortSignal.timeout(4000) }))
            .status === 200
        );
      } catch {
        return false;
      }
    };
    const readiness: Array<{ t: number; ok: boolean }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        readiness.push({ t: performance.now(), ok: await readyz() });
        await sleep(1000);
      }
    })();

    const t0 = performance.now();
    const phase = (name: string) =>
      console.log(`[drain-broker-outage] ${name} at ${Math.round((performance.now() - t0) / 1000)} s`);
    const poster = startLogplexPoster({ url: drain.url, authorization: AUTH, connections: 4, seed: 70 });
    await sleep(5000);
    expect(poster.stats.acknowledged.length).toBeGreaterThan(0);

    const stoppedAt = performance.now();
    await kafka.stop();
    phase('broker stopped');
    await sleep(OUTAGE_MS - (performance.now() - stoppedAt));
    const restartAt = performance.now();
    phase('broker starting');
    await kafka.start();
    const brokerUpAt = performance.now();
    phase('broker up');
    // recovery: the first acknowledgement after the broker answers again
    const until = performance.now() + 60_000;
    while (!poster.stats.ackTimes.some((t) => t > brokerUpAt) && performance.now() < until) await sleep(200);
    phase('first ack after the broker is up');
    await sleep(5000);
    const stats = await poster.stop({ giveUpAfterMs: 30_000 });
    phase('poster stopped');
    sampling = false;
    await sampler;

    const firstAckAfter = stats.ackTimes.find((t) => t > brokerUpAt);
    const during = readiness.filter((r) => r.t > stoppedAt + 3000 && r.t < restartAt);
    const after = readiness.filter((r) => r.t > (firstAckAfter ?? Number.POSITIVE_INFINITY));
    const got = (await readTopic(drain.routerTopic, stats.acknowledged.length, 60_000, kafka.broker)).map(
      (r) => r.value.toString(),
    );
    phase('topic read');
    const cmp = compareOnce(stats.acknowledged, got);
    // A duplicate may only come from a batch logplex had to retry (docs/drain.md, "The window
    // that remains"); a line doubled that was acknowledged at its first attempt is a bug.
    const seen = new Map<string, number>();
    for (const g of got) seen.set(g, (seen.get(g) ?? 0) + 1);
    const retried = new Set(stats.retried);
    const doubledNotRetried = [...seen].filter(([line, n]) => n > 1 && !retried.has(line)).length;
    const figures = {
      outageMs: Math.round(restartAt - stoppedAt),
      brokerRestartMs: Math.round(brokerUpAt - restartAt),
      batches: stats.batches,
      statuses: stats.statuses,
      max503Ms: Math.round(stats.maxFailureMs),
      recoveryMsAfterBrokerUp: firstAckAfter === undefined ? null : Math.round(firstAckAfter - brokerUpAt),
      readyDuringOutage: during.map((r) => r.ok).filter(Boolean).length,
      notReadyDuringOutage: during.filter((r) => !r.ok).length,
      readyAfter: after.filter((r) => r.ok).length,
      acknowledgedLines: stats.acknowledged.length,
      unacknowledgedLines: stats.unacknowledged.length,
      inKafka: got.length,
      ...cmp,
      retriedLines: stats.retried.length,
      doubledNotRetried,
      lateOutcomes: await drain.metric('routemeter_drain_late_outcomes_total'),
    };
    console.log(`[drain-broker-outage] ${JSON.stringify(figures)}`);

    expect(stats.unacknowledged).toEqual([]); // every batch got through in the end
    expect(stats.statuses['503'] ?? 0).toBeGreaterThan(0);
    expect(stats.maxFailureMs).toBeLessThan(5000);
    expect(stats.statuses.timeout ?? 0).toBe(0);
    expect(firstAckAfter).toBeDefined();
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((r) => !r.ok)).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    expect(after.at(-1)!.ok).toBe(true);
    // Acknowledged lines are never lost; duplicates are possible only within retried batches
    // (measured: 0 in most runs, 49 lines in one of five clean-clone CI runs; see docs/drain.md).
    expect(cmp.lost).toBe(0);
    expect(doubledNotRetried).toBe(0);
    expect(cmp.doubled).toBeLessThanOrEqual(stats.retried.length);
    expect(cmp.extra).toBe(0);
  }, 360_000);
});
