/**
 * One platform line (a record of the platform topic) as the dyno actors see it:
 *
 *   <45>1 2026-01-01T00:00:20.000000+00:00 host heroku web.1 - source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#memory_total=180.43MB …
 *   <45>1 … host heroku web.1 - source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#load_avg_1m=2.46 …
 *   <45>1 … host heroku web.1 - Error R14 (Memory quota exceeded)
 *   <45>1 … host heroku web.2 - State changed from up to starting
 *
 * The parser (`platform-line.ts`) fills a reused `PlatformEvent`; numeric fields a
 * line does not carry are NaN (memory, load) or -1 (pages, exit status).
 * Memory is in MB as log-runtime-metrics writes it (MB = 2^20 bytes; other units are converted).
 */
export const PlatformKind = {
  /** a line routemeter does not aggregate (`Starting process with command …`, `Restarting`, app output) */
  Other: 0,
  /** log-runtime-metrics: memory and/or load samples (`memorySeen`, `loadSeen`) */
  Metrics: 1,
  /** `Error R14 (Memory quota exceeded)`, `Error R10 (Boot timeout) -> …`, `Error L10 (…): …` */
  Error: 2,
  /** `State changed from up to starting` */
  StateChange: 3,
  /** `Process exited with status 137` */
  Exit: 4,
} as const;
export type PlatformKind = (typeof PlatformKind)[keyof typeof PlatformKind];

export interface PlatformEvent {
  /** event time: the syslog TIMESTAMP, ms since the epoch */
  timestampMs: number;
  kind: PlatformKind;
  /** the dyno: `source=` when the line has it, else the syslog PROCID (`web.1`, `logplex`) */
  dyno: string;
  /** the dyno name without its `.N` suffix: `web.1` → `web`, `run.4821` → `run`, `logplex` → `logplex` */
  processType: string;
  /** true when the line held at least one `sample#memory_*` */
  memorySeen: boolean;
  memoryTotalMb: number;
  memoryRssMb: number;
  memoryCacheMb: number;
  memorySwapMb: number;
  memoryQuotaMb: number;
  /** pages paged in / out since the dyno started (cumulative counters) */
  memoryPgpgin: number;
  memoryPgpgout: number;
  /** true when the line held at least one `sample#load_avg_*` */
  loadSeen: boolean;
  load1m: number;
  load5m: number;
  load15m: number;
  /** `R14`, `R10`, `L10` on Error lines, else '' */
  code: string;
  /** `State changed from <stateFrom> to <stateTo>`, else '' */
  stateFrom: string;
  stateTo: string;
  /** `Process exited with status <exitStatus>`, else -1 */
  exitStatus: number;
}

export function createPlatformEvent(): PlatformEvent {
  const ev = { timestampMs: 0 } as PlatformEvent;
  resetPlatformEvent(ev);
  return ev;
}

/** Clears `ev` to the values of a line that carries nothing (before a parse fills it). */
export function resetPlatformEvent(ev: PlatformEvent): void {
  ev.kind = PlatformKind.Other;
  ev.dyno = '';
  ev.processType = '';
  ev.memorySeen = false;
  ev.memoryTotalMb = Number.NaN;
  ev.memoryRssMb = Number.NaN;
  ev.memoryCacheMb = Number.NaN;
  ev.memorySwapMb = Number.NaN;
  ev.memoryQuotaMb = Number.NaN;
  ev.memoryPgpgin = -1;
  ev.memoryPgpgout = -1;
  ev.loadSeen = false;
  ev.load1m = Number.NaN;
  ev.load5m = Number.NaN;
  ev.load15m = Number.NaN;
  ev.code = '';
  ev.stateFrom = '';
  ev.stateTo = '';
  ev.exitStatus = -1;
}
