/**
 * Which HDR histogram configuration should a route actor use? Measures, for each
 * candidate, the cost of `recordValue` and the memory one histogram holds once it
 * has seen realistic Heroku router values:
 *
 *   service: log-normal around 40 ms, clipped to 1..30000 (H12 fires at 30 s)
 *   connect: 0..5 ms, mostly 0 and 1
 *
 * Memory is measured, not estimated: N histograms are built and filled, and the
 * growth of V8 heap + external memory (WASM linear memory and typed arrays live
 * there) is divided by N, after a forced GC. Also printed: the cost of turning a
 * 1-second delta (200 values recorded, then encoded) into the sparse text encoding
 * of WindowDelta (`encodeSparseHistogram`) versus hdr-histogram-js'
 * `encodeIntoCompressedBase64` ("delta us" columns: record + encode).
 *
 * `chosen` is what the actors use: js/32/d2 (createLatencyHistogram) recorded
 * through `recordLatency`, the clz32 fast path over the library's public API.
 *
 * Run: npx tsc -p . && node --expose-gc dist/bench/actors-histogram.js
 * Prints one line per candidate, with record cost as a ratio to the reference (js/32/d2).
 */
import * as hdr from 'hdr-histogram-js';
import { createLatencyHistogram, recordLatency } from '../src/actors/latency-histogram.js';
import { encodeSparseHistogram } from '../src/actors/sparse-histogram.js';

interface Candidate {
  name: string;
  build: () => hdr.Histogram;
  wasm: boolean;
  /** how a value is recorded (default: recordValue) */
  record?: (h: hdr.Histogram, v: number) => void;
}

const N_VALUES = 1 << 20;
const HISTOGRAMS_FOR_MEMORY = 2000;

function randomValues(kind: 'service' | 'connect'): Float64Array {
  const out = new Float64Array(N_VALUES);
  let seed = 42;
  const rnd = () => {
    // xorshift32: deterministic across runs so candidates see the same data
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  for (let i = 0; i < N_VALUES; i++) {
    if (kind === 'connect') {
      const r = rnd();
      out[i] = r < 0.6 ? 0 : r < 0.9 ? 1 : Math.floor(rnd() * 6);
    } else {
      const normal = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
      out[i] = Math.min(30_000, Math.max(1, Math.round(Math.exp(Math.log(40) + 1.2 * normal))));
    }
  }
  return out;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function recordNsPerOp(c: Candidate, h: hdr.Histogram, values: Float64Array): number {
  const record = c.record ?? ((hist: hdr.Histogram, v: number) => hist.recordValue(v));
  for (let i = 0; i < 100_000; i++) record(h, values[i]!); // warm-up
  const rounds = 8;
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < N_VALUES; i++) record(h, values[i]!);
  return Number(process.hrtime.bigint() - start) / (rounds * N_VALUES);
}

function bytesPerHistogram(c: Candidate, values: Float64Array, perHistogram: number): number {
  gc();
  const before = usedBytes();
  const kept: hdr.Histogram[] = [];
  for (let k = 0; k < HISTOGRAMS_FOR_MEMORY; k++) {
    const h = c.build();
    const offset = (k * perHistogram) % (N_VALUES - perHistogram);
    for (let i = 0; i < perHistogram; i++) h.recordValue(values[offset + i]!);
    kept.push(h);
  }
  gc();
  const bytes = (usedBytes() - before) / HISTOGRAMS_FOR_MEMORY;
  if (c.wasm) for (const h of kept) h.destroy();
  return bytes;
}

function encodeUs(c: Candidate, values: Float64Array, encode: (h: hdr.Histogram) => unknown): number {
  // a 1-second delta of a busy route: 200 requests
  const h = c.build();
  const iterations = 2000;
  for (let k = 0; k < 200; k++) {
    h.reset();
    for (let i = 0; i < 200; i++) h.recordValue(values[(k * 200 + i) % N_VALUES]!);
    encode(h);
  }
  const start = process.hrtime.bigint();
  for (let k = 0; k < iterations; k++) {
    h.reset();
    for (let i = 0; i < 200; i++) h.recordValue(values[(k * 200 + i) % N_VALUES]!);
    encode(h);
  }
  const us = Number(process.hrtime.bigint() - start) / iterations / 1000;
  if (c.wasm) h.destroy();
  return us;
}

async function main(): Promise<void> {
  await hdr.initWebAssembly();
  const service = randomValues('service');
  const connect = randomValues('connect');
  const js = (bits: 16 | 32, digits: 1 | 2 | 3): Candidate => ({
    name: `js/${bits}/d${digits}`,
    wasm: false,
    build: () => hdr.build({ bitBucketSize: bits, numberOfSignificantValueDigits: digits, autoResize: true }),
  });
  const wasm = (digits: 2 | 3): Candidate => ({
    name: `wasm/32/d${digits}`,
    wasm: true,
    build: () =>
      hdr.build({
        bitBucketSize: 32,
        numberOfSignificantValueDigits: digits,
        autoResize: true,
        useWebAssembly: true,
      }),
  });
  const chosen: Candidate = {
    name: 'chosen',
    wasm: false,
    build: createLatencyHistogram,
    record: (h, v) => recordLatency(h as hdr.JsHistogram, v),
  };
  const candidates = [js(32, 2), js(32, 1), js(32, 3), js(16, 2), wasm(2), wasm(3), chosen];
  let reference = 0;
  console.log(
    'candidate     service ns/rec  connect ns/rec  service B/hist  connect B/hist  route B (both)  ' +
      'sparse delta us  b64 delta us  vs ref',
  );
  for (const c of candidates) {
    const hs = c.build();
    const hc = c.build();
    const sNs = recordNsPerOp(c, hs, service);
    const cNs = recordNsPerOp(c, hc, connect);
    if (c.wasm) {
      hs.destroy();
      hc.destroy();
    }
    if (reference === 0) reference = sNs;
    const sB = bytesPerHistogram(c, service, 2000);
    const cB = bytesPerHistogram(c, connect, 2000);
    const sparse = c.wasm
      ? Number.NaN
      : encodeUs(c, service, (h) => encodeSparseHistogram(h as hdr.JsHistogram));
    const b64 = encodeUs(c, service, (h) => hdr.encodeIntoCompressedBase64(h));
    console.log(
      `${c.name.padEnd(12)}  ${sNs.toFixed(1).padStart(14)}  ${cNs.toFixed(1).padStart(14)}  ` +
        `${sB.toFixed(0).padStart(14)}  ${cB.toFixed(0).padStart(14)}  ${(sB + cB).toFixed(0).padStart(14)}  ` +
        `${sparse.toFixed(2).padStart(15)}  ${b64.toFixed(2).padStart(12)}  ${(sNs / reference).toFixed(2)}x`,
    );
  }
}

await main();
