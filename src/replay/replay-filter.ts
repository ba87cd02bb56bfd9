import { RoutemeterError } from '../errors/routemeter-error.js';
import type { RouterEvent } from '../logplex/router-event.js';
import { inSample } from './path-sampler.js';

/**
 * Which router lines are replayed. Checked in this order, and the first failing
 * check names the skip reason (counted in the report and on /metrics):
 *
 *   app       --app (production hosts; empty = all)
 *   method    GET and HEAD, plus --allow-methods: a router line has no body and no
 *             headers, so any other method cannot be replayed faithfully and may write
 *   path      --path-allow (any must match) and --path-deny (none may match),
 *             regular expressions on the path with its query string
 *   status    --status of the original: `2xx`, `404`, `5xx`, … (empty = all)
 *   sample    --sample percent, consistent by path (path-sampler.ts)
 */
export type SkipReason = 'app' | 'method' | 'path' | 'status' | 'sample';
export const SKIP_REASONS: readonly SkipReason[] = ['app', 'method', 'path', 'status', 'sample'];

export const SAFE_METHODS: readonly string[] = ['GET', 'HEAD'];

export interface FilterOptions {
  apps?: readonly string[];
  /** methods allowed besides GET and HEAD (upper case) */
  allowMethods?: readonly string[];
  /** methods the user wants (subset of the allowed ones; empty = all allowed) */
  methods?: readonly string[];
  pathAllow?: readonly string[];
  pathDeny?: readonly string[];
  /** `2xx`, `3xx`, `404`, … */
  statuses?: readonly string[];
  samplePercent?: number;
}

export interface ReplayFilter {
  /** null when the event is replayed, else why not */
  check(event: Pick<RouterEvent, 'app' | 'method' | 'path' | 'status'>): SkipReason | null;
}

function compile(patterns: readonly string[], option: string): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p);
    } catch (err) {
      throw new RoutemeterError(
        'RM_ERR_REPLAY_OPTION',
        `${option} ${JSON.stringify(p)}: ${(err as Error).message}`,
      );
    }
  });
}

function statusMatcher(statuses: readonly string[]): (status: number) => boolean {
  const exact = new Set<number>();
  const classes = new Set<number>();
  for (const raw of statuses) {
    const s = raw.trim().toLowerCase();
    if (/^[1-5]xx$/.test(s)) classes.add(Number(s[0]));
    else if (/^[1-5]\d\d$/.test(s)) exact.add(Number(s));
    else
      throw new RoutemeterError(
        'RM_ERR_REPLAY_OPTION',
        `--status ${JSON.stringify(raw)}: expected 2xx or 404`,
      );
  }
  return (status) => exact.has(status) || classes.has(Math.floor(status / 100));
}

export function createReplayFilter(options: FilterOptions): ReplayFilter {
  const apps = new Set((options.apps ?? []).map((a) => a.toLowerCase()));
  const allowed = new Set([...SAFE_METHODS, ...(options.allowMethods ?? []).map((m) => m.toUpperCase())]);
  const wanted = new Set((options.methods ?? []).map((m) => m.toUpperCase()));
  for (const m of wanted) {
    if (!allowed.has(m)) {
      throw new RoutemeterError(
        'RM_ERR_REPLAY_OPTION',
        `--method ${m} is not replayed unless --allow-methods ${m} is given: a router line has no body or headers`,
      );
    }
  }
  const allow = compile(options.pathAllow ?? [], '--path-allow');
  const deny = compile(options.pathDeny ?? [], '--path-deny');
  const statusOk = (options.statuses ?? []).length > 0 ? statusMatcher(options.statuses ?? []) : () => true;
  const percent = options.samplePercent ?? 100;
  if (!(percent > 0 && percent <= 100)) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `--sample ${percent}: expected a percentage in (0, 100]`,
    );
  }
  return {
    check(event) {
      if (apps.size > 0 && !apps.has(event.app.toLowerCase())) return 'app';
      if (!allowed.has(event.method) || (wanted.size > 0 && !wanted.has(event.method))) return 'method';
      if (allow.length > 0 && !allow.some((r) => r.test(event.path))) return 'path';
      if (deny.some((r) => r.test(event.path))) return 'path';
      if (!statusOk(event.status)) return 'status';
      if (!inSample(event.path, percent)) return 'sample';
      return null;
    },
  };
}
