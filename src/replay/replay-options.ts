import { randomBytes } from 'node:crypto';
import { RouteTemplater } from '../actors/route-template.js';
import type { Config } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { createHostMap, parseHostMap } from './host-map.js';
import { parseSpeed } from './pacing-schedule.js';
import { DEFAULT_REDACTED_PARAMS, queryRules } from './query-redaction.js';
import { createReplayFilter } from './replay-filter.js';
import { DEFAULT_THRESHOLDS } from './route-verdict.js';
import type { ReplayPlan } from './run-replay.js';
import { parseTimeSpec } from './time-spec.js';

/**
 * `routemeter replay`'s options as commander hands them over (strings), checked
 * and turned into a ReplayPlan. Every error names the option. Pure apart from the
 * random default group name.
 */
export interface ReplayCliOptions {
  target?: string;
  hostMap?: string[];
  from?: string;
  to?: string;
  count?: string;
  app?: string[];
  method?: string[];
  allowMethods?: string;
  pathAllow?: string[];
  pathDeny?: string[];
  status?: string[];
  sample?: string;
  redactParams?: string;
  dropParams?: string;
  markerHeader?: string;
  timeoutMs?: string;
  rps?: string;
  concurrency?: string;
  stopErrorRatio?: string;
  stopWindowSeconds?: string;
  stopMinRequests?: string;
  speed?: string;
  dryRun?: boolean;
  group?: string;
  rangeSlackSeconds?: string;
  alpha?: string;
  slowerRatio?: string;
  slowerMinMs?: string;
}

export const REPLAY_DEFAULTS = {
  markerHeader: 'x-routemeter-replay',
  timeoutMs: 10_000,
  rps: 50,
  concurrency: 16,
  stopErrorRatio: 0.5,
  stopWindowSeconds: 30,
  stopMinRequests: 20,
  speed: '1',
  rangeSlackSeconds: 30,
  maxQueued: 50_000,
  shutdownGraceMs: 10_000,
  leadMs: 1000,
} as const;

function num(
  value: string | undefined,
  fallback: number,
  option: string,
  min: number,
  max = Infinity,
): number {
  if (value === undefined) return fallback;
  const n = value === 'max' || value === 'off' ? Number.POSITIVE_INFINITY : Number(value);
  if (Number.isNaN(n) || n < min || n > max) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `${option} ${JSON.stringify(value)}: expected a number in [${min}, ${max}]`,
    );
  }
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function basicAuthorization(userinfo: string): string {
  return `Basic ${Buffer.from(userinfo).toString('base64')}`;
}

export function buildReplayPlan(opts: ReplayCliOptions, config: Config, nowMs: number): ReplayPlan {
  const hostMap = createHostMap(opts.target, parseHostMap(opts.hostMap ?? []));
  const fromMs = opts.from === undefined ? null : parseTimeSpec(opts.from, nowMs, '--from');
  const toMs = opts.to === undefined ? null : parseTimeSpec(opts.to, nowMs, '--to');
  if (toMs !== null && fromMs === null) {
    throw new RoutemeterError('RM_ERR_REPLAY_OPTION', '--to needs --from');
  }
  if (fromMs !== null && toMs !== null && toMs <= fromMs) {
    throw new RoutemeterError('RM_ERR_REPLAY_OPTION', '--to must be after --from');
  }
  if (toMs !== null && toMs > nowMs) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      '--to is in the future: replay up to now, or tail live with --count (or stop with SIGTERM)',
    );
  }
  const count = opts.count === undefined ? null : num(opts.count, 0, '--count', 1);
  const speed = parseSpeed(opts.speed ?? REPLAY_DEFAULTS.speed);
  if (speed === null) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `--speed ${JSON.stringify(opts.speed)}: expected a factor (1, 10, 0.5) or max`,
    );
  }
  const allowMethods = list(opts.allowMethods).map((m) => m.toUpperCase());
  for (const m of allowMethods) {
    if (!/^[A-Z]+$/.test(m))
      throw new RoutemeterError('RM_ERR_REPLAY_OPTION', `--allow-methods ${m}: not a method`);
  }
  const filter = createReplayFilter({
    apps: opts.app ?? [],
    methods: (opts.method ?? []).flatMap((m) => list(m)),
    allowMethods,
    pathAllow: opts.pathAllow ?? [],
    pathDeny: opts.pathDeny ?? [],
    statuses: (opts.status ?? []).flatMap((s) => list(s)),
    samplePercent: num(opts.sample, 100, '--sample', 0.000001, 100),
  });
  const marker = (opts.markerHeader ?? REPLAY_DEFAULTS.markerHeader).toLowerCase();
  if (!/^[a-z0-9-]+$/.test(marker)) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `--marker-header ${JSON.stringify(marker)}: not a header name`,
    );
  }
  const ratio =
    opts.stopErrorRatio === 'off'
      ? Number.POSITIVE_INFINITY
      : num(opts.stopErrorRatio, REPLAY_DEFAULTS.stopErrorRatio, '--stop-error-ratio', 0.000001, 1);
  const group = opts.group ?? `${config.consumerGroup}-replay-${randomBytes(4).toString('hex')}`;
  const groupId = opts.group === undefined ? group : config.kafka.prefix + group;
  if (groupId === config.consumerGroup || groupId.startsWith(`${config.consumerGroup}.p`)) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `--group ${group} is the metrics fleet's group: the replay must never take its partitions`,
    );
  }
  const userinfo = config.replay.basicAuth;
  if (userinfo && config.replay.bearerToken) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      'both REPLAY_TARGET_BASIC_AUTH and REPLAY_TARGET_BEARER_TOKEN are set: choose one',
    );
  }
  return {
    topic: config.topics.router,
    groupId,
    deleteGroup: opts.group === undefined,
    fromMs,
    toMs,
    count,
    slackMs:
      num(opts.rangeSlackSeconds, REPLAY_DEFAULTS.rangeSlackSeconds, '--range-slack-seconds', 0, 3600) * 1000,
    filter,
    hostMap,
    query: queryRules(
      opts.redactParams === undefined ? DEFAULT_REDACTED_PARAMS : list(opts.redactParams),
      list(opts.dropParams),
    ),
    templater: new RouteTemplater({ patterns: config.runtime.routePatterns }),
    thresholds: {
      ...DEFAULT_THRESHOLDS,
      alpha: num(opts.alpha, DEFAULT_THRESHOLDS.alpha, '--alpha', 1e-9, 0.5),
      slowerRatio: num(opts.slowerRatio, DEFAULT_THRESHOLDS.slowerRatio, '--slower-ratio', 1),
      slowerMinMs: num(opts.slowerMinMs, DEFAULT_THRESHOLDS.slowerMinMs, '--slower-min-ms', 0),
    },
    speed,
    rps: num(opts.rps, REPLAY_DEFAULTS.rps, '--rps', 0.01),
    concurrency: num(opts.concurrency, REPLAY_DEFAULTS.concurrency, '--concurrency', 1, 10_000),
    stop: !Number.isFinite(ratio)
      ? null
      : {
          ratio,
          windowMs:
            num(opts.stopWindowSeconds, REPLAY_DEFAULTS.stopWindowSeconds, '--stop-window-seconds', 1) * 1000,
          minRequests: num(opts.stopMinRequests, REPLAY_DEFAULTS.stopMinRequests, '--stop-min-requests', 1),
        },
    dryRun: opts.dryRun === true,
    markerHeader: marker,
    authorization: userinfo
      ? basicAuthorization(userinfo)
      : config.replay.bearerToken
        ? `Bearer ${config.replay.bearerToken}`
        : null,
    shutdownGraceMs: REPLAY_DEFAULTS.shutdownGraceMs,
    leadMs: REPLAY_DEFAULTS.leadMs,
    maxQueued: REPLAY_DEFAULTS.maxQueued,
  };
}
