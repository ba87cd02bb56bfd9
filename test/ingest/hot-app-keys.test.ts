import { describe, expect, it } from 'vitest';
import { buildBatchRecords } from '../../src/ingest/batch-records.js';
import { HotAppKeys, pathShard } from '../../src/ingest/hot-app-keys.js';
import { murmur2 } from '../../src/kafka/key-partitioner.js';
import { slabsToTopicMessages } from '../../src/kafka/record-slab.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import { routerLine } from '../logplex/samples.js';
import { TEST_BATCH_CONTEXT } from './batch-context.js';

const HOT = 'big.herokuapp.com';
const COLD = 'small.herokuapp.com';
const PARTITIONS = 6;
const ctx = TEST_BATCH_CONTEXT;
const partitionOf = (key: Uint8Array) => (murmur2(key) & 0x7fffffff) % PARTITIONS;
const line = (host: string, path: string) =>
  routerLine(
    `at=info method=GET path="${path}" host=${host} dyno=web.1 connect=1ms service=5ms status=200 bytes=10`,
  );

/** kafkajs messages of a body, as the producer thread builds them */
function routerKeys(lines: string[], hotApps: HotAppKeys | null) {
  const r = buildBatchRecords(Buffer.from(formatLogplexBody(lines)), { ...ctx, hotApps });
  const [topic] = slabsToTopicMessages([r.slab], 'router', null);
  return { ...r, keys: topic!.messages.map((m) => String(m.key)) };
}

describe('HotAppKeys', () => {
  it('gives a hot app k keys host#s on k distinct partitions', () => {
    for (let k = 2; k <= PARTITIONS; k++) {
      const table = new HotAppKeys(new Map([[HOT, k]]), PARTITIONS).lookup(HOT)!;
      expect(table.shards).toBe(k);
      const keys = [...Array(k).keys()].map((i) =>
        table.bytes.subarray(table.offsets[i], table.offsets[i + 1]),
      );
      for (const key of keys) expect(key.toString()).toMatch(/^big\.herokuapp\.com#\d+$/);
      expect(new Set(keys.map(partitionOf)).size).toBe(k);
    }
  });

  it('knows only the named apps, case-insensitively', () => {
    const hot = new HotAppKeys(new Map([[HOT, 3]]), PARTITIONS);
    expect(hot.lookup(COLD)).toBeNull();
    expect(hot.lookup('BIG.herokuapp.com')).toBe(hot.lookup(HOT));
  });
});

describe('pathShard', () => {
  it('is stable (a fixed function of the bytes) and within 0..k−1', () => {
    const buf = Buffer.from('xx/users/42yy');
    expect(pathShard(buf, 2, 11, 4)).toBe(pathShard(Buffer.from('/users/42'), 0, 9, 4));
    // FNV-1a 32 of "/users/42", computed independently of the implementation's loop
    let h = 0x811c9dc5n;
    for (const b of Buffer.from('/users/42')) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
    expect(pathShard(buf, 2, 11, 7)).toBe(Number(h % 7n));
  });

  it('spreads distinct paths over all k shards', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) {
      const p = Buffer.from(`/items/${i}`);
      counts[pathShard(p, 0, p.length, 4)]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe('buildBatchRecords with DRAIN_HOT_APPS', () => {
  const hot = new HotAppKeys(new Map([[HOT, 3]]), PARTITIONS);

  it('keys a hot app host#s by the path (query string ignored), other apps by host', () => {
    const lines = [
      line(HOT, '/a'),
      line(COLD, '/a'),
      line(HOT, '/a?x=1'),
      line(HOT, '/b'),
      line(COLD, '/b'),
      line(HOT, '/a'),
    ];
    const r = routerKeys(lines, hot);
    expect(r.routerCount).toBe(6);
    expect(r.hotCount).toBe(4);
    const [a1, c1, a2, b, c2, a3] = r.keys;
    expect([c1, c2]).toEqual([COLD, COLD]);
    expect(a1).toMatch(/^big\.herokuapp\.com#\d+$/);
    expect(a2).toBe(a1);
    expect(a3).toBe(a1);
    expect(b).toMatch(/^big\.herokuapp\.com#\d+$/);
    const table = hot.lookup(HOT)!;
    const shardKey = (path: string) => {
      const s = pathShard(Buffer.from(path), 0, path.length, 3);
      return table.bytes.subarray(table.offsets[s], table.offsets[s + 1]).toString();
    };
    expect(a1).toBe(shardKey('/a'));
    expect(b).toBe(shardKey('/b'));
  });

  it('spreads a hot app over k partitions; the same lines without the setting are unchanged', () => {
    const lines = [...Array(300).keys()].map((i) => line(i % 2 ? HOT : COLD, `/p/${i}`));
    const spread = routerKeys(lines, hot);
    const partitions = new Set(
      spread.keys.filter((k) => k.startsWith(`${HOT}#`)).map((k) => partitionOf(Buffer.from(k))),
    );
    expect(partitions.size).toBe(3);
    const plain = routerKeys(lines, null);
    expect(plain.hotCount).toBe(0);
    expect(plain.slab.keys).toBeNull();
    expect(plain.keys).toEqual(lines.map((_, i) => (i % 2 ? HOT : COLD)));
    expect(spread.keys.filter((_, i) => i % 2 === 0)).toEqual(plain.keys.filter((_, i) => i % 2 === 0));
    // no per-record key bytes: one copy of the app's 3 keys per request
    expect(spread.slab.keys!.length).toBe(hot.lookup(HOT)!.bytes.length);
  });

  it('copies each hot app’s keys once per request, whatever the order of hosts', () => {
    const two = new HotAppKeys(
      new Map([
        [HOT, 2],
        [COLD, 4],
      ]),
      PARTITIONS,
    );
    const lines = [...Array(40).keys()].map((i) => line(i % 3 ? HOT : COLD, `/q/${i}`));
    const r = routerKeys(lines, two);
    expect(r.hotCount).toBe(40);
    expect(r.slab.keys!.length).toBe(two.lookup(HOT)!.bytes.length + two.lookup(COLD)!.bytes.length);
    expect(r.keys.map((k) => k.slice(0, k.indexOf('#')))).toEqual(lines.map((_, i) => (i % 3 ? HOT : COLD)));
  });
});
