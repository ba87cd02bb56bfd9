import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';
import { buildReplayPlan } from '../../src/replay/replay-options.js';

const NOW = Date.UTC(2026, 11, 1, 4, 30);
const config = loadConfig({ KAFKA_PREFIX: 'acme.', CONSUMER_GROUP: 'routemeter' });

function fails(opts: Parameters<typeof buildReplayPlan>[0], pattern: RegExp, cfg = config): void {
  try {
    buildReplayPlan(opts, cfg, NOW);
    expect.unreachable();
  } catch (err) {
    expect(isRoutemeterError(err, 'RM_ERR_REPLAY_OPTION')).toBe(true);
    expect((err as Error).message).toMatch(pattern);
  }
}

describe('buildReplayPlan', () => {
  it('defaults: live tail, prefixed topic, a group of its own, safe caps', () => {
    const plan = buildReplayPlan({ target: 'http://127.0.0.1:8080' }, config, NOW);
    expect(plan.topic).toBe('acme.router-logs');
    expect(plan.groupId).toMatch(/^acme\.routemeter-replay-[0-9a-f]{8}$/);
    expect(plan.deleteGroup).toBe(true);
    expect(plan).toMatchObject({
      fromMs: null,
      toMs: null,
      count: null,
      speed: 1,
      rps: 50,
      concurrency: 16,
      dryRun: false,
    });
    expect(plan.stop).toEqual({ ratio: 0.5, windowMs: 30_000, minRequests: 20 });
    expect(plan.markerHeader).toBe('x-routemeter-replay');
    expect(plan.authorization).toBeNull();
  });

  it('a time range and options', () => {
    const plan = buildReplayPlan(
      {
        target: 'http://x',
        from: '15m',
        to: '5m',
        speed: 'max',
        rps: 'max',
        group: 'mine',
        stopErrorRatio: 'off',
      },
      config,
      NOW,
    );
    expect(plan.fromMs).toBe(NOW - 15 * 60_000);
    expect(plan.toMs).toBe(NOW - 5 * 60_000);
    expect(plan.speed).toBe(Number.POSITIVE_INFINITY);
    expect(plan.rps).toBe(Number.POSITIVE_INFINITY);
    expect(plan.groupId).toBe('acme.mine');
    expect(plan.deleteGroup).toBe(false);
    expect(plan.stop).toBeNull();
  });

  it('never the fleet group', () => {
    fails({ target: 'http://x', group: 'routemeter' }, /metrics fleet/);
    fails({ target: 'http://x', group: 'routemeter.p3' }, /metrics fleet/);
  });

  it('refuses unsafe or inconsistent options', () => {
    fails({ target: 'http://x', method: ['POST'] }, /--allow-methods POST/);
    fails({ target: 'http://x', to: '5m' }, /--to needs --from/);
    fails({ target: 'http://x', from: '5m', to: '15m' }, /after --from/);
    fails({ target: 'http://x', from: '5m', to: '2026-12-01T05:00:00Z' }, /future/);
    fails({ target: 'http://x', speed: '0' }, /--speed/);
    fails({ target: 'http://x', concurrency: '0' }, /--concurrency/);
    fails({ target: 'http://x', markerHeader: 'bad header' }, /--marker-header/);
    fails({}, /--target or --host-map/);
  });

  it('target credentials come from the environment', () => {
    const basic = loadConfig({ REPLAY_TARGET_BASIC_AUTH: 'u:p' });
    expect(buildReplayPlan({ target: 'http://x' }, basic, NOW).authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    const bearer = loadConfig({ REPLAY_TARGET_BEARER_TOKEN: 't0k' });
    expect(buildReplayPlan({ target: 'http://x' }, bearer, NOW).authorization).toBe('Bearer t0k');
    fails(
      { target: 'http://x' },
      /choose one/,
      loadConfig({ REPLAY_TARGET_BASIC_AUTH: 'u:p', REPLAY_TARGET_BEARER_TOKEN: 't' }),
    );
  });
});
