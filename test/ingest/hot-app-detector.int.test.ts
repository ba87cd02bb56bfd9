import { describe, expect, it } from 'vitest';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { RECORD_HEADERS } from '../../src/kafka/record-slab.js';
import { makeRouterLines, type OracleLine, prng } from '../support/router-lines.js';
import { AUTH, post, readTopic, useDrain } from './drain-fixture.js';
import { expectRoutesReadBackExactly } from './hot-apps-readback.js';

/**
 * Detected hot apps end to end: through the real drain, an app with 70% of the drain's
 * router lines becomes hot after one interval (logged, counted, gauged); from then on its
 * records are keyed `host#s` over DRAIN_HOT_APP_SHARDS partitions while the other apps stay
 * keyed by host; and the runtime plus the query module read every app back exactly,
 * including the hot one whose records are on its host partition (before) and its shards (after).
 */
const BIG = 'big.herokuapp.com';
const PARTITIONS = '4';
const SHARDS = 3;
const INTERVAL_MS = 300;

/** `n` lines, 70% of them BIG's, shuffled so that one request holds runs of both. */
function mixedLines(n: number, seed: number, startMs: number): OracleLine[] {
  const big = makeRouterLines(Math.round(n * 0.7), { seed, apps: 1, startMs, stepMs: 2 }).map((l) => ({
    ...l,
    app: BIG,
    line: l.line.replace('host=app-0.herokuapp.com', `host=${BIG}`),
  }));
  const rest = makeRouterLines(n - big.length, { seed: seed + 1, apps: 3, startMs, stepMs: 2 });
  const all = [...big, ...rest];
  const r = prng(seed + 2);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

describe('detected hot apps (real drain and Kafka, then the runtime and Redis)', () => {
  it('spreads an app with most of the lines over several partitions once detected; others stay keyed by app', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const drain = await useDrain(
      {
        TOPIC_PARTITIONS: PARTITIONS,
        DRAIN_HOT_APP_SHARE: '0.5',
        DRAIN_HOT_APP_MIN_RATE: '10',
        DRAIN_HOT_APP_SHARDS: String(SHARDS),
        DRAIN_HOT_APP_INTERVAL_MS: String(INTERVAL_MS),
      },
      undefined,
      { logs },
    );
    const start = Date.UTC(2026, 0, 1);
    const send = async (lines: OracleLine[]): Promise<string> => {
      const batch = buildLogplexBatch(
        lines.map((l) => l.line),
        'd.detect',
      );
      const res = await post(drain.url, batch.body, { ...batch.headers, authorization: AUTH });
      expect(res.status).toBe(204);
      return batch.frameId;
    };

    // Before: batches until the interval is over and BIG is detected (the first request after it).
    const before: OracleLine[] = [];
    const beforeFrames = new Set<string>();
    const deadline = Date.now() + 10_000;
    while ((await drain.metric('routemeter_drain_detected_hot_apps')) === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      const lines = mixedLines(100, before.length + 1, start + before.length * 2);
      beforeFrames.add(await send(lines));
      before.push(...lines);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await drain.metric('routemeter_drain_hot_app_changes_total', { change: 'detected' })).toBe(1);
    const detected = logs.filter((l) => l.event === 'drain.hot_app_detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({ app: BIG, shards: SHARDS });
    expect(detected[0]!.share as number).toBeGreaterThanOrEqual(0.5);

    // After: BIG is hot (held for DRAIN_HOT_APP_HOLD_SECONDS, an hour by default).
    const after = mixedLines(2000, 1_000_000, start + 60_000);
    for (let i = 0; i < after.length; i += 200) await send(after.slice(i, i + 200));
    expect(await drain.metric('routemeter_drain_detected_hot_apps')).toBe(1);

    const lines = [...before, ...after];
    const records = await readTopic(drain.routerTopic, lines.length);
    expect(records).toHaveLength(lines.length);
    const partitionsOf = new Map<string, Set<number>>();
    const bigPartitionsAfter = new Set<number>();
    for (const r of records) {
      const key = r.key!.toString();
      const host = /host=(\S+)/.exec(r.value.toString())![1]!;
      const isBefore = beforeFrames.has(r.headers[RECORD_HEADERS.frameId]!);
      if (host === BIG && !isBefore) {
        expect(key).toMatch(/^big\.herokuapp\.com#\d+$/);
        bigPartitionsAfter.add(r.partition);
      } else {
        // the other apps always, and BIG before it was detected: key = host
        expect(key).toBe(host);
      }
      const set = partitionsOf.get(key) ?? new Set<number>();
      set.add(r.partition);
      partitionsOf.set(key, set);
    }
    for (const ps of partitionsOf.values()) expect(ps.size).toBe(1);
    expect(bigPartitionsAfter.size).toBe(SHARDS);
    expect([...partitionsOf.keys()].filter((k) => k.startsWith(`${BIG}#`))).toHaveLength(SHARDS);

    // Exactness: the runtime aggregates by host=, the read side merges every partition of an app.
    const tagsOf = await expectRoutesReadBackExactly(drain.routerTopic, PARTITIONS, lines);
    expect(tagsOf.get(BIG)!.length).toBeGreaterThanOrEqual(SHARDS);
    for (const [app, tags] of tagsOf) if (app !== BIG) expect(tags, app).toHaveLength(1);
  }, 120_000);
});
