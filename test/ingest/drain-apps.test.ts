import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DrainApps } from '../../src/ingest/drain-apps.js';

describe('drain apps', () => {
  it('parses DRAIN_APPS and refuses hosts outside a listed identity, by user or token', () => {
    const { drain } = loadConfig({
      DRAIN_USERS: 'logplex:x,other:y',
      DRAIN_APPS: 'logplex=A.herokuapp.com|b.herokuapp.com; d.tok=c.example.com',
    });
    expect(drain.apps.get('logplex')).toEqual(new Set(['a.herokuapp.com', 'b.herokuapp.com']));
    const apps = new DrainApps(drain.apps, 0);
    const byUser = apps.forRequest('logplex', 'd.unlisted')!;
    expect(byUser('a.herokuapp.com')).toBeNull();
    expect(byUser('c.example.com')).toBe('app_not_allowed');
    const both = apps.forRequest('logplex', 'd.tok')!;
    expect(both('c.example.com')).toBeNull();
    // an identity not listed may write any host
    expect(apps.forRequest('other', '')!('z.example.com')).toBeNull();
  });

  it('caps the distinct hosts of one drain, per drain token', () => {
    const apps = new DrainApps(new Map(), 2);
    const d1 = apps.forRequest('u', 'd.one')!;
    expect(d1('a')).toBeNull();
    expect(d1('b')).toBeNull();
    expect(d1('a')).toBeNull();
    expect(d1('c')).toBe('app_cap');
    // the cap is remembered across requests of that drain, and is per drain
    expect(apps.forRequest('u', 'd.one')!('c')).toBe('app_cap');
    expect(apps.forRequest('u', 'd.two')!('c')).toBeNull();
  });

  it('checks nothing when neither is configured', () => {
    expect(new DrainApps(new Map(), 0).forRequest('u', 'd')).toBeNull();
  });

  it('names DRAIN_APPS in a malformed entry', () => {
    expect(() => loadConfig({ DRAIN_APPS: 'logplex' })).toThrowError(/DRAIN_APPS/);
    expect(() => loadConfig({ DRAIN_APPS: 'logplex=' })).toThrowError(/DRAIN_APPS/);
  });
});
