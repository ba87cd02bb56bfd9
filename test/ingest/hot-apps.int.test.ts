import { describe, expect, it } from 'vitest';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { makeRouterLines } from '../support/router-lines.js';
import { AUTH, post, readTopic, useDrain } from './drain-fixture.js';
import { expectRoutesReadBackExactly } from './hot-apps-readback.js';

/**
 * DRAIN_HOT_APPS end to end: a hot app's lines go through the real drain to several
 * partitions (keys `host#s`), the runtime aggregates each partition on its own, and
 * the query module's merge gives back exactly the oracle's per-route numbers.
 */
const HOT = 'app-0.herokuapp.com';
const PARTITIONS = '4';
const SHARDS = 3;

describe('hot apps spread over partitions (real drain, Kafka, runtime and Redis)', () => {
  it('puts a hot app on k partitions keyed host#s, and reads its routes back exactly', async () => {
    // detection off: only the named app is spread
    const drain = await useDrain({
      TOPIC_PARTITIONS: PARTITIONS,
      DRAIN_HOT_APPS: `${HOT}=${SHARDS}`,
      DRAIN_HOT_APP_SHARE: '0',
    });
    const lines = makeRouterLines(3000, { seed: 9, apps: 3, stepMs: 2 });
    for (let i = 0; i < lines.length; i += 200) {
      const batch = buildLogplexBatch(
        lines.slice(i, i + 200).map((l) => l.line),
        'd.hot-apps',
      );
      const res = await post(drain.url, batch.body, { ...batch.headers, authorization: AUTH });
      expect(res.status).toBe(204);
    }

    expect(await drain.metric('routemeter_drain_hot_app_lines_total')).toBe(
      lines.filter((l) => l.app === HOT).length,
    );

    // Kafka: the hot app's records on SHARDS partitions, each key host#s on one partition;
    // the other apps keyed by their host, one partition each.
    const records = await readTopic(drain.routerTopic, lines.length);
    expect(records).toHaveLength(lines.length);
    const partitionsOf = new Map<string, Set<number>>();
    for (const r of records) {
      const key = r.key!.toString();
      const host = /host=(\S+)/.exec(r.value.toString())![1]!;
      if (host === HOT) expect(key).toMatch(/^app-0\.herokuapp\.com#\d+$/);
      else expect(key).toBe(host);
      const set = partitionsOf.get(key) ?? new Set<number>();
      set.add(r.partition);
      partitionsOf.set(key, set);
    }
    for (const ps of partitionsOf.values()) expect(ps.size).toBe(1);
    const hotKeys = [...partitionsOf.keys()].filter((k) => k.startsWith(`${HOT}#`));
    expect(hotKeys).toHaveLength(SHARDS);
    const hotPartitions = new Set(hotKeys.map((k) => [...partitionsOf.get(k)!][0]));
    expect(hotPartitions.size).toBe(SHARDS);
    // one path → one key (its requests stay in order on one partition)
    const keyOfPath = new Map<string, string>();
    for (const r of records) {
      const path = /path="?([^"?\s]*)/.exec(r.value.toString())![1]!;
      const host = /host=(\S+)/.exec(r.value.toString())![1]!;
      if (host !== HOT) continue;
      expect(keyOfPath.get(path) ?? r.key!.toString()).toBe(r.key!.toString());
      keyOfPath.set(path, r.key!.toString());
    }

    // Runtime → Redis → query module: per-route numbers merged across the partitions.
    const tagsOf = await expectRoutesReadBackExactly(drain.routerTopic, PARTITIONS, lines);
    expect(tagsOf.get(HOT)!.length).toBe(SHARDS);
  });
});
