import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRoutePatterns, RouteTemplater, templatePath } from '../../src/actors/route-template.js';

describe('templatePath', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['/cart_link', '/cart_link'],
    ['/users/123', '/users/:id'],
    ['/users/123/orders/9f8e1c2a', '/users/:id/orders/:hex'],
    ['/users/1850b395-c7aa-485c-aa04-7d0894b5f276/avatar', '/users/:uuid/avatar'],
    ['/reset/aZ3kQ9xLm2Pq7RtY5vWb', '/reset/:token'],
    ['/blog/how-to-configure-redis-2023', '/blog/:slug'],
    // query strings and fragments are not part of the route
    ['/api/search-recipes?cuisine=african&diet=&intolerances=', '/api/search-recipes'],
    ['/users/42?tab=orders#top', '/users/:id'],
    ['/?utm_source=x', '/'],
    // trailing and repeated slashes
    ['/users/', '/users'],
    ['//users//42//', '/users/:id'],
    // percent-encoding: unreserved decoded, others upper-cased, malformed kept
    ['/caf%65/%31%32%33', '/cafe/:id'],
    ['/files/a%2fb', '/files/a%2Fb'],
    ['/files/a%2Fb', '/files/a%2Fb'],
    ['/bad/%zz%4', '/bad/%zz%4'],
    ['/pipe/a|b', '/pipe/a%7Cb'],
    // extensions survive when the stem is an id
    ['/images/123.png', '/images/:id.png'],
    ['/avatars/9f8e1c2a.jpeg', '/avatars/:hex.jpeg'],
    ['/docs/readme.md', '/docs/readme.md'],
    // absolute-form targets and asterisk
    ['http://example.com/users/5', '/users/:id'],
    ['https://example.com', '/'],
    ['*', '*'],
    ['users/5', '/users/:id'],
  ])('%s → %s', (raw, template) => {
    expect(templatePath(raw)).toBe(template);
  });

  it('turns very long segments into :long and caps the number of segments', () => {
    expect(templatePath(`/x/${'a'.repeat(65)}`)).toBe('/x/:long');
    expect(templatePath(`/x/${'a'.repeat(64)}`)).toBe(`/x/${'a'.repeat(64)}`);
    const deep = `/${Array.from({ length: 40 }, (_, i) => `s${i}`).join('/')}`;
    const template = templatePath(deep);
    expect(template.split('/').length - 1).toBe(25);
    expect(template.endsWith('/s23/:rest')).toBe(true);
  });

  it('tries user patterns first, each anchored to the whole segment', () => {
    const patterns = compileRoutePatterns([
      { pattern: '[A-Z]{2}-\\d+', placeholder: ':sku' },
      { pattern: '\\d+', placeholder: ':num' },
      { pattern: '@[a-z0-9_]+', placeholder: ':handle' },
    ]);
    expect(templatePath('/products/AB-1234', patterns)).toBe('/products/:sku');
    expect(templatePath('/products/xAB-1234', patterns)).toBe('/products/xAB-1234');
    expect(templatePath('/orders/77', patterns)).toBe('/orders/:num');
    expect(templatePath('/u/@alice_1', patterns)).toBe('/u/:handle');
    expect(templatePath('/u/9f8e1c2a', patterns)).toBe('/u/:hex');
  });

  it('rejects invalid user patterns with a message naming ROUTE_PATTERNS', () => {
    expect(() => compileRoutePatterns([{ pattern: '(', placeholder: ':x' }])).toThrow(
      /ROUTE_PATTERNS\[0\]\.pattern/,
    );
    expect(() => compileRoutePatterns([{ pattern: 'a', placeholder: ':a/b' }])).toThrow(
      /ROUTE_PATTERNS\[0\]\.placeholder/,
    );
  });
});

describe('RouteTemplater', () => {
  it('caches by path without the query string, bounded', () => {
    const t = new RouteTemplater({ cacheSize: 100 });
    expect(t.template('/users/1?a=1')).toBe('/users/:id');
    expect(t.template('/users/1?a=2')).toBe('/users/:id');
    expect(t.cachedPaths).toBe(1);
    for (let i = 0; i < 1000; i++) t.template(`/users/${i}`);
    expect(t.cachedPaths).toBeLessThanOrEqual(100);
    expect(t.template('/users/5')).toBe('/users/:id');
  });

  it('caches a path from its second sighting on (one-off ids do not churn the cache)', () => {
    const t = new RouteTemplater();
    for (let i = 0; i < 500; i++) expect(t.template(`/orders/${i}/items`)).toBe('/orders/:id/items');
    expect(t.cachedPaths).toBe(0);
    t.template('/orders/17/items');
    expect(t.cachedPaths).toBe(1);
  });

  it('applies configured patterns', () => {
    const t = new RouteTemplater({ patterns: [{ pattern: 'v\\d+', placeholder: ':version' }] });
    expect(t.template('/api/v3/users/3')).toBe('/api/:version/users/:id');
  });
});

describe('RouteTemplater.templateBytes', () => {
  // Segments the rules care about, glued into paths: ids, uuids, dates, hex, tokens, slugs,
  // extensions, escapes, `|`, non-ASCII, long segments, empty segments, schemes, queries.
  const segment = fc.oneof(
    fc.constantFrom('users', 'api', 'v2', 'orders', 'about-us', 'x', 'index.html', 'a.b.c', '.png'),
    fc.nat().map(String),
    fc.uuid(),
    fc.constantFrom(
      '2025-03-12',
      '2025-13-40',
      'summer-sale-12',
      'post-1',
      'aZ3kQ9xY7wP2mN5bV8cX',
      'deadbeef42',
    ),
    fc.nat().map((n) => `${n}.png`),
    fc.constantFrom('%61bc', '%2f', '%zz', 'a|b', 'caf%C3%A9', 'café', '日本', ''),
    fc.stringMatching(/^[a-z0-9]{60,70}$/),
    fc.stringMatching(/^[A-Za-z0-9._~=-]{1,12}$/),
  );
  const rawPath = fc
    .record({
      prefix: fc.constantFrom('/', '/', '/', '', 'http://h.example', 'https://h/', '*', 'ftp://'),
      segments: fc.array(segment, { maxLength: 30 }),
      tail: fc.constantFrom('', '/', '?a=1', '?q=/x/1#f', '#frag', '//'),
    })
    .map((p) => p.prefix + p.segments.join('/') + p.tail);
  const patterns = compileRoutePatterns([
    { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: ':day' },
    { pattern: '[a-z]+-sale-\\d+', placeholder: ':sale' },
  ]);

  it('gives templatePath of the decoded path, with and without user patterns, cached or not', () => {
    for (const withPatterns of [false, true]) {
      const templater = new RouteTemplater({
        patterns: withPatterns
          ? [
              { pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: ':day' },
              { pattern: '[a-z]+-sale-\\d+', placeholder: ':sale' },
            ]
          : [],
        cacheSize: 64,
      });
      fc.assert(
        fc.property(rawPath, fc.nat(8), (path, pad) => {
          const buf = Buffer.concat([Buffer.alloc(pad, 0x2f), Buffer.from(path), Buffer.from('" x')]);
          const end = pad + Buffer.byteLength(path);
          const want = templatePath(path, withPatterns ? patterns : []);
          // three sightings: uncached, doorkeeper, cached
          for (let i = 0; i < 3; i++) expect(templater.templateBytes(buf, pad, end)).toBe(want);
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('hands out one string object per route, whatever the ids in the path', () => {
    const templater = new RouteTemplater();
    const a = templater.templateBytes(Buffer.from('/users/123/orders/9f8e1c2a'), 0, 26);
    const b = templater.templateBytes(Buffer.from('/users/77/orders/0a1b2c3d?x'), 0, 27);
    expect(a).toBe('/users/:id/orders/:hex');
    expect(Object.is(a, b)).toBe(true);
  });

  it('stays bounded and correct under a flood of distinct literal segments', () => {
    const templater = new RouteTemplater({ cacheSize: 100 });
    for (let i = 0; i < 60_000; i++) {
      const path = `/w${i.toString(36)}x/items/${i}`;
      const buf = Buffer.from(path);
      expect(templater.templateBytes(buf, 0, buf.length)).toBe(templatePath(path));
    }
    expect(templater.cachedPaths).toBeLessThanOrEqual(200);
  });
});
