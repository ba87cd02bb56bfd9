import type { JsHistogram } from 'hdr-histogram-js';
import type { RouterEvent } from '../logplex/router-event.js';
import type { WindowDelta } from './flush-batch.js';
import { createLatencyHistogram, MAX_RECORDED_MS, recordLatency } from './latency-histogram.js';
import { encodeSparseHistogram } from './sparse-histogram.js';

/**
 * What one route accumulates for one event-time window between two flushes.
 * Instances are pooled by the aggregator: `reset()` clears the counters and
 * the histograms' counts but keeps their arrays, so a steady route allocates
 * nothing per flush.
 */
export class WindowState {
  /** window start, epoch seconds (short resolution) */
  start = 0;
  count = 0;
  serviceSum = 0;
  serviceCount = 0;
  serviceMax = 0;
  connectSum = 0;
  connectCount = 0;
  bytes = 0;
  /** 1xx, 2xx, 3xx, 4xx, 5xx, other/missing */
  readonly statusClasses: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  /** error statuses as numbers (503), router codes as strings ("H12") */
  readonly codes = new Map<number | string, number>();
  readonly service: JsHistogram = createLatencyHistogram();
  readonly connect: JsHistogram = createLatencyHistogram();

  record(ev: RouterEvent): void {
    this.count++;
    const service = ev.serviceMs;
    if (service >= 0) {
      this.serviceSum += service;
      this.serviceCount++;
      if (service > this.serviceMax) this.serviceMax = service;
      recordLatency(this.service, Math.min(service, MAX_RECORDED_MS));
    }
    const connect = ev.connectMs;
    if (connect >= 0) {
      this.connectSum += connect;
      this.connectCount++;
      recordLatency(this.connect, Math.min(connect, MAX_RECORDED_MS));
    }
    if (ev.bytes > 0) this.bytes += ev.bytes;
    const status = ev.status;
    const cls = status >= 100 && status < 600 ? ((status / 100) | 0) - 1 : 5;
    this.statusClasses[cls]++;
    if (status >= 400) this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    if (ev.code !== '') {
      // a malformed line must not invent unbounded "codes": keep the H12/R14/L10 shape only
      const code = isPlatformCode(ev.code) ? ev.code : '?';
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    }
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.serviceSum = 0;
    this.serviceCount = 0;
    this.serviceMax = 0;
    this.connectSum = 0;
    this.connectCount = 0;
    this.bytes = 0;
    this.statusClasses.fill(0);
    this.codes.clear();
    if (this.service.totalCount > 0) this.service.reset();
    if (this.connect.totalCount > 0) this.connect.reset();
  }

  toDelta(resolutionSeconds: number, windowStart: number, app: string, route: string): WindowDelta {
    const codes: Record<string, number> = {};
    for (const [code, n] of this.codes) codes[String(code)] = n;
    return {
      resolutionSeconds,
      windowStart,
      app,
      route,
      count: this.count,
      serviceSumMs: this.serviceSum,
      serviceCount: this.serviceCount,
      serviceMaxMs: this.serviceMax,
      connectSumMs: this.connectSum,
      connectCount: this.connectCount,
      bytes: this.bytes,
      statusClasses: [...this.statusClasses],
      codes,
      serviceHistogram: encodeSparseHistogram(this.service),
      connectHistogram: encodeSparseHistogram(this.connect),
    };
  }

  /** Bytes this window holds: the histograms' count arrays plus fixed object overhead (measured). */
  estimateBytes(): number {
    return WINDOW_OVERHEAD_BYTES + 4 * (this.service.countsArrayLength + this.connect.countsArrayLength);
  }
}

/** "H12", "R14", "L10": one capital letter and 1 to 3 digits */
function isPlatformCode(code: string): boolean {
  const n = code.length;
  if (n < 2 || n > 4) return false;
  const first = code.charCodeAt(0);
  if (first < 65 || first > 90) return false;
  for (let i = 1; i < n; i++) {
    const c = code.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Heap bytes of a WindowState beyond the two counts arrays: the histogram objects
 * with their iterators, the codes Map and the counters. Measured with
 * bench/actors.ts (heap growth per active route minus the counts arrays).
 */
export const WINDOW_OVERHEAD_BYTES = 2200;
