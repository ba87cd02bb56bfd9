import { describe, expect, it } from 'vitest';
import { RequestHosts } from '../../src/ingest/request-hosts.js';

describe('RequestHosts', () => {
  it('gives each distinct host of a body one entry, in first-seen order, however many (it grows)', () => {
    const hosts = new RequestHosts<number>();
    const names = Array.from({ length: 500 }, (_, i) => `app-${i}.herokuapp.com`);
    // every host three times, interleaved, plus hosts that share a prefix and a length
    const text = [...names, ...names, ...names, 'app-1.herokuapp.co', 'app-1.herokuapp.coM'].join(' ');
    const body = Buffer.from(text);
    const seen: number[] = [];
    let pos = 0;
    for (const part of text.split(' ')) {
      let e = hosts.find(body, pos, pos + part.length);
      if (e < 0) {
        e = -1 - e;
        hosts.names[e] = part;
        hosts.values[e] = e * 10;
      }
      expect(hosts.names[e]).toBe(part);
      hosts.counts[e]!++;
      seen.push(e);
      pos += part.length + 1;
    }
    expect(hosts.size).toBe(502);
    expect(seen.slice(0, 500)).toEqual([...Array(500).keys()]);
    expect(seen.slice(500, 1000)).toEqual([...Array(500).keys()]);
    expect(hosts.counts.slice(0, 500).every((c) => c === 3)).toBe(true);
    expect(hosts.values[42]).toBe(420);
  });

  it('forgets everything on reset, and is reused for the next body', () => {
    const hosts = new RequestHosts<string>();
    const a = Buffer.from('a.com b.com');
    expect(hosts.find(a, 0, 5)).toBe(-1);
    expect(hosts.find(a, 6, 11)).toBe(-2);
    expect(hosts.find(a, 0, 5)).toBe(0);
    hosts.reset();
    expect(hosts.size).toBe(0);
    const b = Buffer.from('b.com');
    expect(hosts.find(b, 0, 5)).toBe(-1);
    expect(hosts.values).toEqual([null]);
  });
});
