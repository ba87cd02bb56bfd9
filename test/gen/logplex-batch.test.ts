import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { buildLogplexBatch } from '../../src/gen/logplex-batch.js';
import { scanFrames } from '../../src/logplex/logplex-framing.js';

describe('buildLogplexBatch', () => {
  it('writes octet-counted frames and the Logplex-* headers', () => {
    const gen = createLineGenerator({ seed: 2 });
    const lines = Array.from({ length: 100 }, () => gen().line);
    const batch = buildLogplexBatch(lines, 'd.test');
    expect(batch.headers['logplex-msg-count']).toBe('100');
    expect(batch.headers['logplex-frame-id']).toMatch(/^[0-9A-F]{32}$/);
    expect(batch.headers['content-type']).toBe('application/logplex-1');
    expect(Number(batch.headers['content-length'])).toBe(batch.body.length);
    const got: string[] = [];
    const stats = scanFrames(batch.body, (s, e) => got.push(batch.body.toString('utf8', s, e)));
    expect(got).toEqual(lines);
    expect(stats.repaired).toBe(0);
    expect(batch.body.length).toBeGreaterThan(20_000); // ~30 KB per 100 lines, like logplex batches
  });

  it('keeps a given frame id (retries reuse it)', () => {
    expect(buildLogplexBatch(['<13>1 - host app web.1 - x'], 'd.t', 'ABC').frameId).toBe('ABC');
  });
});
