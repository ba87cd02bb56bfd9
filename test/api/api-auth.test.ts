import { describe, expect, it } from 'vitest';
import { canSeeApp, createApiAuth } from '../../src/api/api-auth.js';
import { loadConfig } from '../../src/config/config.js';

const api = (env: Record<string, string>) => loadConfig(env).api;
const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('API access', () => {
  it('refuses to be open unless API_ALLOW_OPEN=true', () => {
    expect(() => createApiAuth(api({}))).toThrow(
      expect.objectContaining({ code: 'RM_ERR_CONFIG', details: { variable: 'API_TOKENS' } }),
    );
    const open = createApiAuth(api({ API_ALLOW_OPEN: 'true' }));
    expect(open(undefined)).toEqual({ ok: true, principal: { id: 'open', apps: null } });
  });

  it('bearer tokens, some limited to apps; basic users', () => {
    const auth = createApiAuth(
      api({
        API_TOKENS: 'all-apps-token-0123456789,shop-only-token-0123456789:shop.example|blog.example',
        API_USERS: 'ops:pw',
      }),
    );
    const all = auth('Bearer all-apps-token-0123456789');
    expect(all).toMatchObject({ ok: true, principal: { apps: null } });
    const shop = auth('bearer shop-only-token-0123456789');
    expect(shop.ok).toBe(true);
    if (!shop.ok) return;
    expect(canSeeApp(shop.principal, 'shop.example')).toBe(true);
    expect(canSeeApp(shop.principal, 'blog.example')).toBe(true);
    expect(canSeeApp(shop.principal, 'other.example')).toBe(false);
    // ids are stable and do not reveal the token
    expect(shop.principal.id).toMatch(/^token:[0-9a-f]{8}$/);
    expect(shop.principal.id).not.toContain('shop-only');
    expect(auth(basic('ops:pw'))).toMatchObject({ ok: true, principal: { id: 'user:ops', apps: null } });
    expect(auth(basic('ops:pW'))).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(auth('Bearer all-apps-token-012345678')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(auth(undefined)).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(auth('Digest abc')).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('config errors name the variable', () => {
    expect(() => api({ API_TOKENS: 'short' })).toThrow(/^API_TOKENS: .*16 characters/);
    expect(() => api({ API_TOKENS: 'long-enough-token-0123456789:' })).toThrow(
      /^API_TOKENS: .*at least one app/,
    );
    expect(() => api({ API_USERS: 'nopassword' })).toThrow(/^API_USERS: /);
    expect(() => api({ API_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/^API_RATE_LIMIT_PER_MINUTE: /);
    expect(api({ API_CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});
