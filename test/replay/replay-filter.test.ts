import { describe, expect, it } from 'vitest';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';
import { createReplayFilter } from '../../src/replay/replay-filter.js';

const ev = (method: string, path: string, status = 200, app = 'shop.example.com') => ({
  app,
  method,
  path,
  status,
});

describe('createReplayFilter', () => {
  it('replays only GET and HEAD by default', () => {
    const f = createReplayFilter({});
    expect(f.check(ev('GET', '/'))).toBeNull();
    expect(f.check(ev('HEAD', '/'))).toBeNull();
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(f.check(ev(m, '/'))).toBe('method');
  });

  it('--allow-methods opens the named methods only', () => {
    const f = createReplayFilter({ allowMethods: ['POST'] });
    expect(f.check(ev('POST', '/'))).toBeNull();
    expect(f.check(ev('DELETE', '/'))).toBe('method');
  });

  it('refuses --method of an unsafe method without the opt-in', () => {
    try {
      createReplayFilter({ methods: ['DELETE'] });
      expect.unreachable();
    } catch (err) {
      expect(isRoutemeterError(err, 'RM_ERR_REPLAY_OPTION')).toBe(true);
      expect((err as Error).message).toContain('--allow-methods DELETE');
    }
  });

  it('filters by app, path allow and deny, and original status', () => {
    const f = createReplayFilter({
      apps: ['Shop.example.com'],
      pathAllow: ['^/api/'],
      pathDeny: ['/admin'],
      statuses: ['2xx', '404'],
    });
    expect(f.check(ev('GET', '/api/users'))).toBeNull();
    expect(f.check(ev('GET', '/api/users', 200, 'other.example.com'))).toBe('app');
    expect(f.check(ev('GET', '/home'))).toBe('path');
    expect(f.check(ev('GET', '/api/admin/x'))).toBe('path');
    expect(f.check(ev('GET', '/api/x', 404))).toBeNull();
    expect(f.check(ev('GET', '/api/x', 500))).toBe('status');
    expect(f.check(ev('GET', '/api/x', 301))).toBe('status');
  });

  it('samples consistently by path', () => {
    const f = createReplayFilter({ samplePercent: 30 });
    const kept = new Set<string>();
    for (let i = 0; i < 300; i++) if (f.check(ev('GET', `/p/${i}?v=1`)) === null) kept.add(`/p/${i}`);
    for (let i = 0; i < 300; i++)
      expect(f.check(ev('GET', `/p/${i}?v=2`)) === null).toBe(kept.has(`/p/${i}`));
    expect(kept.size).toBeGreaterThan(50);
    expect(kept.size).toBeLessThan(130);
  });

  it.each([[{ statuses: ['2x'] }], [{ pathAllow: ['('] }], [{ samplePercent: 0 }], [{ samplePercent: 101 }]])(
    'rejects bad options %j',
    (opts) => {
      expect(() => createReplayFilter(opts)).toThrow(/--/);
    },
  );
});
