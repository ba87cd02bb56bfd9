import { describe, expect, it } from 'vitest';
import { UnflushedAge } from '../../src/runtime/unflushed-age.js';

describe('UnflushedAge', () => {
  it('follows the oldest consumed record not yet stored, batch by batch', () => {
    const age = new UnflushedAge();
    expect(age.oldestMs).toBe(0);
    age.consumed(100);
    age.consumed(150); // same pending batch: the first one stays
    expect(age.oldestMs).toBe(100);
    age.drained();
    age.consumed(200);
    expect(age.oldestMs).toBe(100);
    age.drained();
    age.consumed(300);
    age.stored(); // the 100 batch landed
    expect(age.oldestMs).toBe(200);
    age.stored(); // the 200 batch landed; 300 still pending
    expect(age.oldestMs).toBe(300);
    age.drained();
    age.stored();
    expect(age.oldestMs).toBe(0);
  });
});
