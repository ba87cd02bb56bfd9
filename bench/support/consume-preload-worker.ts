/**
 * The line generator of bench/consume.ts's preload, in its own thread so that
 * generating (~10 µs a line) overlaps with kafkajs encoding and producing in the
 * main thread. Posts chunks of router lines only (what the drain sends to the
 * router topic) as one transferred buffer plus offsets, and waits for a `more`
 * message before running more than `ahead` chunks ahead of the producer.
 *
 *   main → worker   {code: 'more'}                  one chunk was consumed
 *   worker → main   {code: 'chunk', body, ends, apps, appNames?}
 *                   line i = body[ends[i-1], ends[i]); apps[i] indexes appNames
 *                   (sent once, with the first chunk)
 *                   {code: 'done'}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLineGenerator } from '../../src/gen/line-generator.js';

export interface PreloadWorkerData {
  records: number;
  seed: number;
  apps: number;
  routes: number;
  linesPerSecond: number;
  chunk: number;
  ahead: number;
}

export type PreloadWorkerMessage =
  | { code: 'chunk'; body: Uint8Array; ends: Int32Array; apps: Uint16Array; appNames?: string[] }
  | { code: 'done' };

if (!parentPort) throw new Error('consume-preload-worker.ts must run in a worker thread');
const port = parentPort;
const data = workerData as PreloadWorkerData;

const start = Date.UTC(2026, 0, 1);
const stepMs = 1000 / data.linesPerSecond;
let tick = 0;
const gen = createLineGenerator({
  seed: data.seed,
  apps: data.apps,
  routes: data.routes,
  clock: () => Math.floor(start + tick * stepMs),
});
const appIndex = new Map(gen.catalog.map((a, i) => [a.host, i]));
let credit = data.ahead;
let produced = 0;
let first = true;
let done = false;

function produceChunk(): void {
  const n = Math.min(data.chunk, data.records - produced);
  const apps = new Uint16Array(n);
  const ends = new Int32Array(n);
  // written in place into a fresh ArrayBuffer, which is then transferred (no copy, no join)
  let body = Buffer.from(new ArrayBuffer(n * 400));
  let end = 0;
  for (let i = 0; i < n; ) {
    const g = gen();
    tick++;
    if (g.kind !== 'router') continue;
    if (end + 3 * g.line.length > body.length) {
      const bigger = Buffer.from(new ArrayBuffer(body.length * 2));
      body.copy(bigger, 0, 0, end);
      body = bigger;
    }
    end += body.write(g.line, end);
    ends[i] = end;
    apps[i] = appIndex.get(g.app)!;
    i++;
  }
  produced += n;
  const msg: PreloadWorkerMessage = {
    code: 'chunk',
    body: new Uint8Array(body.buffer, 0, end),
    ends,
    apps,
    ...(first ? { appNames: gen.catalog.map((a) => a.host) } : {}),
  };
  first = false;
  port.postMessage(msg, [body.buffer as ArrayBuffer, ends.buffer, apps.buffer]);
}

function pump(): void {
  while (credit > 0 && produced < data.records) {
    credit--;
    produceChunk();
  }
  if (produced >= data.records && !done) {
    done = true;
    port.postMessage({ code: 'done' } satisfies PreloadWorkerMessage);
  }
}

port.on('message', (msg: { code: string }) => {
  if (msg.code !== 'more') throw new Error(`consume-preload-worker: unknown message code ${msg.code}`);
  credit++;
  setImmediate(pump);
});
pump();
