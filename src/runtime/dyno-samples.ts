import type { DynoWindowDelta } from '../actors/dyno-flush-batch.js';
import { advanceDynoState, emptyDynoState } from '../actors/dyno-state.js';
import type { DynoSample } from './protocol.js';

/**
 * Per-dyno numbers of one platform flush, for the dyno Prometheus series
 * (dyno-series.ts): computed once per flush from the batch's deltas at its finest
 * resolution (the roll-up holds the same records again), never per record.
 *
 * Per (app, dyno): the latest memory and load samples by event time over the
 * batch's windows, and the sum of its events. A flush holds few dynos (a dyno
 * writes ~2 lines per 20 s, and the aggregator caps dynos per app), so nothing is
 * capped here; main caps the apps it exports.
 */
export function sampleDynos(batch: { deltas: readonly DynoWindowDelta[] }): DynoSample[] {
  if (batch.deltas.length === 0) return [];
  let finest = Number.POSITIVE_INFINITY;
  for (const d of batch.deltas) if (d.resolutionSeconds < finest) finest = d.resolutionSeconds;
  const byDyno = new Map<string, DynoSample>();
  for (const d of batch.deltas) {
    if (d.resolutionSeconds !== finest) continue;
    const key = `${d.app}\u0000${d.dyno}`;
    let s = byDyno.get(key);
    if (s === undefined) {
      s = emptyDynoSample(d.app, d.processType, d.dyno);
      byDyno.set(key, s);
    }
    advanceDynoState(s, d);
    for (const code in d.events) s.events[code] = (s.events[code] ?? 0) + d.events[code]!;
  }
  return [...byDyno.values()];
}

export function emptyDynoSample(app: string, processType: string, dyno: string): DynoSample {
  return { app, processType, dyno, ...emptyDynoState(), events: {} };
}
