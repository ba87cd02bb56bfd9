import { describe, expect, it } from 'vitest';
import { parseL10Dropped } from '../../src/logplex/l10-overflow.js';

const p = (s: string) => parseL10Dropped(Buffer.from(s), 0, Buffer.byteLength(s));

describe('parseL10Dropped', () => {
  it('reads the count of the real L10 message', () => {
    expect(
      p('Error L10 (output buffer overflow): 523 messages dropped since 2016-06-20T21:55:00+00:00.'),
    ).toBe(523);
  });
  it.each([
    '',
    'Error L11 (x): 5 messages',
    'Error L10 (output buffer overflow): many',
    'Error L10 no colon 5',
    'at=info',
  ])('is -1 for %j', (s) => {
    expect(p(s)).toBe(-1);
  });
});
