/**
 * Pieces shared by bench/drain.ts and bench/drain-codecs.ts: the stack env, the
 * drain child process, the keep-alive load loop, Kafka's ProducerPerformance.
 */
import { execFile, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { createLineGenerator } from '../src/gen/line-generator.js';
import { buildLogplexBatch, type LogplexBatch } from '../src/gen/logplex-batch.js';
import { ROOT } from './support/stack-env.js';

export { ROOT, stackEnv } from './support/stack-env.js';

const here = dirname(fileURLToPath(import.meta.url));

/** `count` realistic 100-line batches (~30 KB each), generated once and reused. */
export function makeBatches(
  count: number,
  linesPerBatch = 100,
  seed = 42,
): { batches: LogplexBatch[]; lines: string[] } {
  const gen = createLineGenerator({ seed });
  const batches: LogplexBatch[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ls = Array.from({ length: linesPerBatch }, () => gen().line);
    lines.push(...ls);
    batches.push(buildLogplexBatch(ls, 'd.bench0000-0000-4000-8000-000000000000'));
  }
  return { batches, lines };
}

export interface DrainChild {
  port: number;
  /** CPU seconds of the drain process so far, all its threads */
  cpuSeconds(): Promise<number>;
  stop(): Promise<{ produceCalls: number; recordsPerCall: number; produceSeconds: number; elu: number }>;
}

/** Forks dist/bench/drain-server.js with `env` added to the environment. */
export async function startDrainChild(env: Record<string, string>): Promise<DrainChild> {
  const child = fork(join(here, 'drain-server.js'), [], {
    env: { ...process.env, ...env },
    execArgv: process.env.BENCH_DRAIN_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_DRAIN_PROFILE}`]
      : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`drain child exited with ${code}`)));
    child.on('message', (m: { type: string; port?: number }) => {
      if (m.type === 'ready') resolve(m.port!);
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    cpuSeconds: () =>
      new Promise((resolve) => {
        const on = (m: { type: string; cpuSeconds?: number }) => {
          if (m.type !== 'cpu') return;
          child.off('message', on);
          resolve(m.cpuSeconds!);
        };
        child.on('message', on);
        child.send({ type: 'cpu' });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.on(
          'message',
          (m: {
            type: string;
            produceCalls: number;
            recordsPerCall: number;
            produceSeconds: number;
            elu: number;
          }) => {
            if (m.type === 'stopped') resolve(m);
          },
        );
        child.send({ type: 'stop' });
      }),
  };
}

/** Basic-auth header of the bench drain's single user. */
export const BENCH_AUTHORIZATION = `Basic ${Buffer.from('bench:bench').toString('base64')}`;

/** Starts the drain child for a bench run on `topic`, with the bench's user and a throwaway dedupe prefix. */
export function startBenchDrain(
  stack: { kafkaUrl: string; redisUrl: string },
  topic: string,
  codec: string,
  extra: Record<string, string> = {},
): Promise<DrainChild> {
  return startDrainChild({
    KAFKA_URL: stack.kafkaUrl,
    REDIS_URL: stack.redisUrl,
    REDIS_PREFIX: `bench-${Date.now().toString(36)}:`,
    DRAIN_DEDUPE_TTL_SECONDS: '120',
    ROUTER_TOPIC: topic,
    PLATFORM_TOPIC: '',
    DRAIN_USERS: 'bench:bench',
    PRODUCER_COMPRESSION: codec,
    LOG_LEVEL: 'warn',
    ...extra,
  });
}

export interface LoadResult {
  seconds: number;
  requests: number;
  okLines: number;
  failed: number;
  bytes: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  port: number;
  batches: LogplexBatch[];
  seconds: number;
  connections: number;
  authorization: string;
  path?: string;
  /**
   * lines per second over all connections together (each connection posts on a fixed
   * schedule, and at once when it is behind); absent: as fast as the drain answers. A
   * request's latency is counted from when it goes out: on a loaded machine this process's
   * own timers fire late, and that lateness is not the drain's (a drain that cannot keep
   * the rate shows it in the rate achieved).
   */
  linesPerSecond?: number;
  /** the batch for the `n`th request (default: `batches` round robin) */
  nextBatch?: (n: number) => LogplexBatch;
  /** called when a request is answered, with the time of the answer (performance.now()) */
  onAnswer?: (batch: LogplexBatch, status: number, answeredAt: number) => void;
}

/**
 * POSTs batches for `seconds` over `connections` keep-alive connections (one request in
 * flight per connection, as logplex does), each with a fresh Logplex-Frame-Id so that
 * dedupe never skips one.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let requests = 0;
  let okLines = 0;
  let failed = 0;
  let bytes = 0;
  let next = 0;
  const nextBatch = opts.nextBatch ?? ((n: number) => opts.batches[n % opts.batches.length]!);
  const started = performance.now();
  const endAt = started + opts.seconds * 1000;
  const one = (batch: LogplexBatch): Promise<number> =>
    new Promise((resolve) => {
      const headers = {
        ...batch.headers,
        'logplex-frame-id': randomBytes(16).toString('hex'),
        authorization: opts.authorization,
      };
      const req = http.request(
        { agent, host: '127.0.0.1', port: opts.port, method: 'POST', path: opts.path ?? '/logs', headers },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(batch.body);
    });
  const avgLines = opts.batches.reduce((n, b) => n + b.lines, 0) / opts.batches.length;
  // ms between two requests of one connection at the asked rate
  const interval =
    opts.linesPerSecond !== undefined ? (opts.connections * avgLines * 1000) / opts.linesPerSecond : 0;
  const worker = async (k: number) => {
    let due = started + (interval * k) / opts.connections;
    while (due < endAt && performance.now() < endAt) {
      if (interval > 0) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const batch = nextBatch(next++);
      const t0 = performance.now();
      const status = await one(batch);
      const answeredAt = performance.now();
      latencies.push(answeredAt - t0);
      opts.onAnswer?.(batch, status, answeredAt);
      requests++;
      if (status >= 200 && status < 300) {
        okLines += batch.lines;
        bytes += batch.body.length;
      } else failed++;
      due += interval;
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, (_, k) => worker(k)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    requests,
    okLines,
    failed,
    bytes,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}

/** The `p` quantile of ascending `sorted` (0 when empty). */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** The median of `xs` (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Creates a topic (idempotent) and returns a function that deletes it. */
export async function benchTopic(
  brokers: string[],
  topic: string,
  partitions: number,
): Promise<() => Promise<void>> {
  const admin = new Kafka({ clientId: 'routemeter-bench', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  return async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  };
}

export interface ProducerPerfResult {
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  line: string;
}

/**
 * Kafka's own Java producer benchmark, acks=all, same payloads (the generated
 * lines, via --payload-file), same topic and codec. Runs through scripts/kafka-tool.sh
 * when it exists, else straight from the stack's cached jars.
 */
export async function producerPerformance(opts: {
  brokers: string[];
  topic: string;
  lines: string[];
  records: number;
  compression: string;
  kafkaVersion: string;
}): Promise<ProducerPerfResult> {
  const payloadFile = join(tmpdir(), `routemeter-bench-payload-${process.pid}.txt`);
  writeFileSync(payloadFile, opts.lines.join('\n'));
  const args = [
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    opts.topic,
    '--num-records',
    String(opts.records),
    '--throughput',
    '-1',
    '--payload-file',
    payloadFile,
    '--producer-props',
    `bootstrap.servers=${opts.brokers.join(',')}`,
    'acks=all',
    `compression.type=${opts.compression === 'none' ? 'none' : opts.compression}`,
    'linger.ms=5',
  ];
  const tool = join(ROOT, 'scripts', 'kafka-tool.sh');
  const [cmd, argv] = existsSync(tool)
    ? ['bash', [tool, ...args]]
    : ['java', ['-Xmx512m', '-cp', join(ROOT, '.stack', `kafka-${opts.kafkaVersion}`, 'libs', '*'), ...args]];
  const out = await new Promise<string>((resolve, reject) => {
    execFile(cmd, argv as string[], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ProducerPerformance failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  // "500000 records sent, 181818.2 records/sec (52.41 MB/sec), 312.4 ms avg latency, 801.0 ms max latency, …"
  const line =
    out
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.includes('records sent')) ?? '';
  const m = /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(line);
  if (!m) throw new Error(`ProducerPerformance: unexpected output:\n${out.slice(-2000)}`);
  return { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]), avgLatencyMs: Number(m[3]), line };
}
