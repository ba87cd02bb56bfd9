import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACTED_PARAMS, queryRules, redactQuery } from '../../src/replay/query-redaction.js';

describe('redactQuery', () => {
  const rules = queryRules(['token', 'api_key'], ['utm_source']);

  it.each([
    ['/search?q=shoes&token=abc&utm_source=x', '/search?q=shoes&token=REDACTED'],
    ['/a?utm_source=x', '/a'],
    ['/a?TOKEN=abc', '/a?TOKEN=REDACTED'],
    ['/a?api%5Fkey=abc&q=1', '/a?api%5Fkey=REDACTED&q=1'],
    ['/a?token', '/a?token=REDACTED'],
    ['/a?q=%E2%9C%93&x=a+b', '/a?q=%E2%9C%93&x=a+b'],
    ['/plain', '/plain'],
    ['/a?q=1#frag', '/a?q=1'],
  ])('%s → %s', (input, want) => {
    expect(redactQuery(input, rules)).toBe(want);
  });

  it('leaves a path untouched when there are no rules', () => {
    expect(redactQuery('/a?token=1', queryRules([], []))).toBe('/a?token=1');
  });

  it('the default list covers the usual credential names', () => {
    const r = queryRules(DEFAULT_REDACTED_PARAMS, []);
    expect(redactQuery('/cb?code=x&state=y&access_token=z', r)).toBe(
      '/cb?code=REDACTED&state=y&access_token=REDACTED',
    );
  });

  it('survives malformed escapes', () => {
    expect(redactQuery('/a?%E0%A4%A=1&token=2', rules)).toBe('/a?%E0%A4%A=1&token=REDACTED');
  });
});
