import { describe, expect, it } from 'vitest';
import { createHostMap, parseHostMap, parseTargetUrl } from '../../src/replay/host-map.js';

describe('host map', () => {
  it('maps listed hosts to their target and the rest to --target', () => {
    const m = createHostMap(
      'https://staging.example.com/base/',
      parseHostMap([
        'shop.example.com=http://127.0.0.1:8080',
        'api.example.com=https://api-staging.example.com',
      ]),
    );
    expect(m.resolve('shop.example.com')).toEqual({
      origin: 'http://127.0.0.1:8080',
      prefix: '',
      userinfo: null,
    });
    expect(m.resolve('API.example.com')?.origin).toBe('https://api-staging.example.com');
    expect(m.resolve('other.example.com')).toEqual({
      origin: 'https://staging.example.com',
      prefix: '/base',
      userinfo: null,
    });
  });

  it('without --target an unmapped host has no target', () => {
    const m = createHostMap(
      undefined,
      parseHostMap(['a.example.com=http://localhost:1,b.example.com=http://localhost:2']),
    );
    expect(m.resolve('c.example.com')).toBeNull();
    expect(m.targets).toHaveLength(2);
  });

  it('keeps userinfo for basic auth', () => {
    expect(parseTargetUrl('https://u:p%40ss@staging.example.com').userinfo).toBe('u:p@ss');
  });

  it.each(['ftp://x', 'not a url', 'https://x/?q=1'])('rejects %s', (url) => {
    expect(() => parseTargetUrl(url)).toThrow(/--target/);
  });

  it('needs a target or a map', () => {
    expect(() => createHostMap(undefined, new Map())).toThrow(/--target or --host-map/);
    expect(() => parseHostMap(['nourl'])).toThrow(/host=https/);
  });
});
