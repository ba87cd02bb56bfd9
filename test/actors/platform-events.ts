import { createPlatformEvent, type PlatformEvent, PlatformKind } from '../../src/logplex/platform-event.js';

/** Test fixtures: platform events as the parser would fill them (not a test file itself). */
export function memory(
  dyno: string,
  timestampMs: number,
  totalMb: number,
  extra: Partial<PlatformEvent> = {},
) {
  return platformEvent({
    kind: PlatformKind.Metrics,
    dyno,
    timestampMs,
    memorySeen: true,
    memoryTotalMb: totalMb,
    memoryRssMb: totalMb - 10,
    memorySwapMb: 0,
    memoryCacheMb: 10,
    memoryQuotaMb: 512,
    ...extra,
  });
}

export function load(dyno: string, timestampMs: number, load1m: number): PlatformEvent {
  return platformEvent({ kind: PlatformKind.Metrics, dyno, timestampMs, loadSeen: true, load1m });
}

export function dynoError(dyno: string, timestampMs: number, code: string): PlatformEvent {
  return platformEvent({ kind: PlatformKind.Error, dyno, timestampMs, code });
}

export function stateChange(dyno: string, timestampMs: number, from: string, to: string): PlatformEvent {
  return platformEvent({ kind: PlatformKind.StateChange, dyno, timestampMs, stateFrom: from, stateTo: to });
}

export function platformEvent(fields: Partial<PlatformEvent>): PlatformEvent {
  const dyno = fields.dyno ?? 'web.1';
  const dot = dyno.lastIndexOf('.');
  return {
    ...createPlatformEvent(),
    processType: dot > 0 ? dyno.slice(0, dot) : dyno,
    ...fields,
    dyno,
  };
}
