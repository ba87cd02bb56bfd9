import { describe, expect, it } from 'vitest';
import { EventTimeGate, GateVerdict } from '../../src/actors/event-time-gate.js';

const T0 = Date.UTC(2026, 0, 1);

describe('EventTimeGate', () => {
  it('accepts up to watermark − lateness, rejects bad and far-future times, tracks the roll-up generation', () => {
    let now = T0;
    const gate = new EventTimeGate({ rollupSeconds: 60, allowedLatenessSeconds: 10, clock: () => now });
    expect(gate.admit(T0 + 30_000)).toBe(GateVerdict.Accept);
    expect(gate.gen).toBe(T0 / 60_000);
    expect(gate.admit(T0 + 20_000)).toBe(GateVerdict.Accept);
    expect(gate.admit(T0 + 19_999)).toBe(GateVerdict.Late);
    expect(gate.admit(0)).toBe(GateVerdict.Reject);
    expect(gate.admit(Number.NaN)).toBe(GateVerdict.Reject);
    expect(gate.admit(T0 + 301_000)).toBe(GateVerdict.Reject);
    expect(gate.watermarkMs).toBe(T0 + 30_000);
    now = T0 + 10_000; // the clock moved: the same record is now within the skew
    expect(gate.admit(T0 + 301_000)).toBe(GateVerdict.Accept);
    expect(gate.gen).toBe(T0 / 60_000 + 5);
  });

  it('restores a stored watermark and never lowers it', () => {
    const gate = new EventTimeGate({
      rollupSeconds: 60,
      allowedLatenessSeconds: 0,
      watermarkMs: T0,
      clock: () => T0,
    });
    gate.restore(T0 - 1000);
    gate.restore(null);
    expect(gate.watermarkMs).toBe(T0);
    expect(gate.admit(T0 - 1)).toBe(GateVerdict.Late);
    expect(
      () => new EventTimeGate({ rollupSeconds: 60, allowedLatenessSeconds: 0, watermarkMs: Number.NaN }),
    ).toThrow(/watermarkMs/);
  });
});
