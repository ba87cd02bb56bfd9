import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Writes platform messages (the MSG part; wrap them with `formatSyslogLine`, APP-NAME
 * `heroku`, PROCID the dyno) exactly as Heroku does, for the generator and the
 * parsers' round-trip tests:
 *
 *   source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#memory_total=180.43MB sample#memory_rss=170.11MB
 *     sample#memory_cache=10.32MB sample#memory_swap=0.00MB sample#memory_pgpgin=12345pages
 *     sample#memory_pgpgout=6789pages sample#memory_quota=512.00MB
 *   source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99
 *   Error R14 (Memory quota exceeded)
 *   State changed from up to starting
 *
 * MB and load values are written with two decimals, as log-runtime-metrics does.
 */
export interface MemorySample {
  /** `web.1` */
  source: string;
  /** `heroku.<app id>.<dyno uuid>` */
  dynoId: string;
  totalMb: number;
  rssMb: number;
  cacheMb: number;
  swapMb: number;
  pgpgin: number;
  pgpgout: number;
  quotaMb: number;
}

export interface LoadSample {
  source: string;
  dynoId: string;
  load1m: number;
  load5m: number;
  load15m: number;
}

/** Dev Center "Error Codes": the runtime (R) codes and their descriptions. */
export const DYNO_ERRORS = {
  R10: 'Boot timeout',
  R12: 'Exit timeout',
  R13: 'Attach error',
  R14: 'Memory quota exceeded',
  R15: 'Memory quota vastly exceeded',
  R16: 'Detached',
  R17: 'Checksum error',
  R99: 'Platform error',
} as const;
export type DynoErrorCode = keyof typeof DYNO_ERRORS;

function mb(v: number): string {
  return `${fixed2(v)}MB`;
}

function fixed2(v: number): string {
  if (!Number.isFinite(v) || v < 0) {
    throw new RoutemeterError('RM_ERR_FORMAT', `a runtime metric must be a finite number >= 0, got ${v}`);
  }
  return v.toFixed(2);
}

function pagesOf(v: number): string {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RoutemeterError('RM_ERR_FORMAT', `a page count must be an integer >= 0, got ${v}`);
  }
  return `${v}pages`;
}

function checkToken(what: string, s: string): void {
  if (s.length === 0 || /[\s="]/.test(s)) {
    throw new RoutemeterError(
      'RM_ERR_FORMAT',
      `${what} ${JSON.stringify(s)} is empty or holds a space, = or "`,
    );
  }
}

export function formatMemorySample(s: MemorySample): string {
  checkToken('source', s.source);
  checkToken('dyno id', s.dynoId);
  return (
    `source=${s.source} dyno=${s.dynoId} sample#memory_total=${mb(s.totalMb)} sample#memory_rss=${mb(s.rssMb)} ` +
    `sample#memory_cache=${mb(s.cacheMb)} sample#memory_swap=${mb(s.swapMb)} ` +
    `sample#memory_pgpgin=${pagesOf(s.pgpgin)} sample#memory_pgpgout=${pagesOf(s.pgpgout)} ` +
    `sample#memory_quota=${mb(s.quotaMb)}`
  );
}

export function formatLoadSample(s: LoadSample): string {
  checkToken('source', s.source);
  checkToken('dyno id', s.dynoId);
  return (
    `source=${s.source} dyno=${s.dynoId} sample#load_avg_1m=${fixed2(s.load1m)} ` +
    `sample#load_avg_5m=${fixed2(s.load5m)} sample#load_avg_15m=${fixed2(s.load15m)}`
  );
}

/** `Error R14 (Memory quota exceeded)`, with ` -> detail` when given (R10 and R12 carry one). */
export function formatDynoError(code: DynoErrorCode, detail?: string): string {
  const desc = DYNO_ERRORS[code];
  if (desc === undefined) throw new RoutemeterError('RM_ERR_FORMAT', `unknown dyno error code ${code}`);
  return detail === undefined ? `Error ${code} (${desc})` : `Error ${code} (${desc}) -> ${detail}`;
}

/** `State changed from up to starting`; states are lowercase words (`up`, `starting`, `crashed`, `down`, `idle`). */
export function formatStateChange(from: string, to: string): string {
  for (const s of [from, to]) {
    if (!/^[a-z]{1,16}$/.test(s)) {
      throw new RoutemeterError(
        'RM_ERR_FORMAT',
        `a dyno state is 1-16 lowercase letters, got ${JSON.stringify(s)}`,
      );
    }
  }
  return `State changed from ${from} to ${to}`;
}
