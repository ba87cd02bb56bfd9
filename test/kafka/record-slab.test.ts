import { describe, expect, it } from 'vitest';
import { buildBatchRecords } from '../../src/ingest/batch-records.js';
import { ownBody, RECORD_HEADERS, slabsToTopicMessages } from '../../src/kafka/record-slab.js';
import { formatLogplexBody } from '../../src/logplex/syslog-frame-format.js';
import { L10_LINE, SAMPLE_FRAMES } from '../logplex/samples.js';

const ctx = {
  drainToken: 'd.t',
  frameId: 'F',
  receivedAtMs: 5,
  appOutput: 'drop',
  platformTopic: true,
} as const;

describe('record slabs', () => {
  it('transfers a body that owns its memory and copies one that shares it', () => {
    const own = Buffer.allocUnsafe(8192).fill(1);
    const slab = buildBatchRecords(own, ctx).slab;
    expect(ownBody(slab)).toBe(own.buffer);

    const pooled = Buffer.from('<13>1 - host app web.1 - small'); // from Node's shared pool
    const small = buildBatchRecords(pooled, ctx).slab;
    const transferred = ownBody(small);
    expect(transferred).not.toBe(pooled.buffer);
    expect(Buffer.from(transferred).equals(pooled)).toBe(true);
  });

  it('becomes kafkajs messages per topic, sharing one headers object per slab', () => {
    const body = Buffer.from(
      formatLogplexBody([SAMPLE_FRAMES[0].slice(4), L10_LINE, SAMPLE_FRAMES[1].slice(4)]),
    );
    const a = buildBatchRecords(body, ctx).slab;
    const b = buildBatchRecords(body, { ...ctx, frameId: 'G' }).slab;
    const topics = slabsToTopicMessages([a, b], 'r', 'p');
    expect(topics.map((t) => [t.topic, t.messages.length])).toEqual([
      ['r', 4],
      ['p', 2],
    ]);
    const [r0, r1, r2] = topics[0]!.messages;
    expect(r0!.headers).toBe(r1!.headers);
    expect(r0!.headers).not.toBe(r2!.headers);
    expect(String(r2!.headers![RECORD_HEADERS.frameId])).toBe('G');
    expect(String(r0!.headers![RECORD_HEADERS.receivedAt])).toBe('5');
    expect(slabsToTopicMessages([a], 'r', null).map((t) => t.topic)).toEqual(['r']);
  });

  it("stamps the drain token's app on platform records only, and remembers the first router host", () => {
    const body = Buffer.from(
      formatLogplexBody([SAMPLE_FRAMES[0].slice(4), L10_LINE, SAMPLE_FRAMES[1].slice(4)]),
    );
    const built = buildBatchRecords(body, ctx);
    expect(built.routerHost).not.toBeNull();
    expect(body.toString('latin1')).toContain(`host=${built.routerHost}`);
    const slab = built.slab;
    slab.app = 'a.herokuapp.com';
    const [router, platform] = slabsToTopicMessages([slab], 'r', 'p');
    expect(router!.messages.every((m) => m.headers![RECORD_HEADERS.app] === undefined)).toBe(true);
    expect(platform!.messages.map((m) => String(m.headers![RECORD_HEADERS.app]))).toEqual([
      'a.herokuapp.com',
    ]);
    expect(String(platform!.messages[0]!.headers![RECORD_HEADERS.drainToken])).toBe('d.t');
    // no app known: no header
    const [, bare] = slabsToTopicMessages([buildBatchRecords(body, ctx).slab], 'r', 'p');
    expect(bare!.messages[0]!.headers![RECORD_HEADERS.app]).toBeUndefined();
    expect(buildBatchRecords(Buffer.from(formatLogplexBody([L10_LINE])), ctx).routerHost).toBeNull();
  });
});
