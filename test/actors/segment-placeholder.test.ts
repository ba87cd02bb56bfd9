import { describe, expect, it } from 'vitest';
import { builtinPlaceholder } from '../../src/actors/segment-placeholder.js';

describe('builtinPlaceholder', () => {
  it.each([
    ['123', ':id'],
    ['0', ':id'],
    ['00012345678901234567890', ':id'],
    ['1850b395-c7aa-485c-aa04-7d0894b5f276', ':uuid'],
    ['1850B395-C7AA-485C-AA04-7D0894B5F276', ':uuid'],
    ['9f8e1c2a', ':hex'],
    ['5f2b9c0e8d7a6b5c4d3e2f1a', ':hex'],
    ['DEADBEEF1', ':hex'],
    ['aZ3kQ9xLm2Pq7RtY5vWb', ':token'],
    ['2025-03-12', ':date'],
    ['1999-12-31', ':date'],
    ['summer-sale-123', ':slug'],
    ['post-42', ':slug'],
    ['how-to-configure-redis-in-2023', ':slug'], // not a :token: no run mixes letters and digits
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0', ':token'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', ':token'],
    ['1850b395-c7aa-485c-aa04-7d0894b5f27g', ':token'], // uuid shape with a non-hex char: still an id
  ])('%s → %s', (segment, placeholder) => {
    expect(builtinPlaceholder(segment)).toBe(placeholder);
  });

  it.each([
    'users',
    'v2',
    'deadbeef', // hex letters only: a word, not an id
    '9f8e1c2', // 7 hex chars: too short to be confidently an id
    'how-to-configure-redis', // a slug without a trailing number: cannot be told from a static route
    'about-us',
    'v1-beta', // no trailing number
    'Getting-Started-With-Node-20-Guide',
    'abcdefghijklmnopqrstuvwxyz', // long, but no digits
    'a1b2c3d', // short
    'aZ3kQ9xLm2Pq7RtY5vW!', // a character outside base64url
    '',
  ])('%s stays as it is', (segment) => {
    expect(builtinPlaceholder(segment)).toBeNull();
  });

  it('answers on adversarial input (single scans, no regex to backtrack; speed is for bench/)', () => {
    expect(builtinPlaceholder(`${'a1-'.repeat(50_000)}!`)).toBeNull();
    expect(builtinPlaceholder(`${'a-'.repeat(50_000)}1`)).toBe(':slug');
  });
});
