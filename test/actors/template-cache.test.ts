import { describe, expect, it } from 'vitest';
import { TemplateCache } from '../../src/actors/template-cache.js';

describe('TemplateCache', () => {
  it('keeps recently used entries and bounds its size', () => {
    const cache = new TemplateCache(4);
    cache.set('a', 'A');
    cache.set('b', 'B'); // young full (2) → next set rotates
    cache.set('c', 'C'); // old = {a, b}, young = {c}
    expect(cache.get('a')).toBe('A'); // promoted into young
    cache.set('d', 'D'); // young {c, a} full → old = {c, a}, young = {d}
    expect(cache.get('b')).toBeUndefined(); // b aged out
    expect(cache.get('a')).toBe('A');
    expect(cache.size).toBeLessThanOrEqual(4);
  });

  it('validates its capacity', () => {
    expect(() => new TemplateCache(1)).toThrow(/capacity/);
    expect(() => new TemplateCache(2.5)).toThrow(/capacity/);
  });
});
