import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { assertDrainSecured, createDrainAuth } from '../../src/ingest/drain-auth.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('drain auth', () => {
  it('refuses to start open unless DRAIN_ALLOW_OPEN=true', () => {
    expect(() => assertDrainSecured(loadConfig({}).drain)).toThrowError(
      expect.objectContaining({ code: 'RM_ERR_CONFIG' }),
    );
    expect(() => assertDrainSecured(loadConfig({ DRAIN_ALLOW_OPEN: 'true' }).drain)).not.toThrow();
    const open = createDrainAuth(loadConfig({ DRAIN_ALLOW_OPEN: 'true' }).drain);
    expect(open({})).toEqual({ ok: true, user: null });
  });

  it('checks Basic credentials against every configured user', () => {
    const auth = createDrainAuth(loadConfig({ DRAIN_USERS: 'logplex:s3cret,other:pw:with:colons' }).drain);
    expect(auth({ authorization: basic('logplex:s3cret') })).toEqual({ ok: true, user: 'logplex' });
    expect(auth({ authorization: basic('other:pw:with:colons') })).toEqual({ ok: true, user: 'other' });
    expect(auth({ authorization: basic('logplex:wrong') })).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(auth({ authorization: basic('logplex:s3cre') })).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(auth({ authorization: 'Bearer x' })).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(auth({})).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(auth({ authorization: 'basic %%%' })).toEqual({ ok: false, reason: 'bad_credentials' });
  });

  it('applies the drain token allowlist on top of the credentials', () => {
    const auth = createDrainAuth(loadConfig({ DRAIN_USERS: 'u:p', DRAIN_TOKENS: 'd.one,d.two' }).drain);
    const authorization = basic('u:p');
    expect(auth({ authorization, 'logplex-drain-token': 'd.two' })).toEqual({ ok: true, user: 'u' });
    expect(auth({ authorization, 'logplex-drain-token': 'd.three' })).toEqual({
      ok: false,
      reason: 'token_not_allowed',
    });
    expect(auth({ authorization })).toEqual({ ok: false, reason: 'token_not_allowed' });
  });
});
