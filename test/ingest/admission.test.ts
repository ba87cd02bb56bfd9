import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/ingest/admission.js';

describe('admission', () => {
  it('refuses past the in-flight count and frees a slot on release', () => {
    const a = new Admission({ maxInflight: 2, maxQueuedBytes: 1e9, queuedBytes: () => 0 });
    const one = a.admit(10);
    const two = a.admit(10);
    expect(one.ok && two.ok).toBe(true);
    expect(a.admit(10)).toEqual({ ok: false, reason: 'inflight' });
    if (one.ok) one.release();
    if (one.ok) one.release(); // twice is once
    expect(a.inflight).toBe(1);
    expect(a.admit(10).ok).toBe(true);
  });

  it('counts the producer queue plus bodies still being read against the byte bound', () => {
    let queued = 0;
    const a = new Admission({ maxInflight: 100, maxQueuedBytes: 1000, queuedBytes: () => queued });
    // nothing held: even a body over the bound is admitted (it could never pass otherwise)
    const big = a.admit(1500);
    expect(big.ok).toBe(true);
    expect(a.admit(1)).toEqual({ ok: false, reason: 'queued_bytes' });
    if (!big.ok) throw new Error('admitted above');
    // the body moves into the producer's queue: no longer reserved, but queued
    big.handedOver();
    queued = 600;
    expect(a.reservedBytes).toBe(0);
    expect(a.admit(500)).toEqual({ ok: false, reason: 'queued_bytes' });
    const fits = a.admit(400);
    expect(fits.ok).toBe(true);
    expect(a.reservedBytes).toBe(400);
    big.release();
    if (fits.ok) fits.release();
    expect(a.reservedBytes).toBe(0);
    expect(a.inflight).toBe(0);
  });
});
