/**
 * Measurement (b) of bench/consume.ts: Kafka's own Java consumer benchmark,
 * `org.apache.kafka.tools.ConsumerPerformance`, on the same topic from the earliest
 * offset with a fresh group: the ceiling of what a consumer can get from this broker
 * on this machine. Run through scripts/kafka-tool.sh (same Kafka version as the
 * broker). It prints a CSV header and one line, e.g. (Kafka 4.x):
 *
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
 *     rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 *   2026-11-24 21:40:01:123, 2026-11-24 21:40:09:456, 812.3, 97.5, 2000000, 240003.8, 120, 8213, 98.9, 243516.4
 *
 * `MB.sec` and `nMsg.sec` are over the whole run including the group join
 * (`rebalance.time.ms`), `fetch.*` exclude it; MB counts keys and values.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, type Stack } from './consume-stack.js';

const run = promisify(execFile);

export interface ConsumerPerformanceResult {
  /** nMsg.sec: records over the whole run, group join included */
  msgPerSec: number;
  /** MB.sec (MB = 2^20 bytes of keys + values) */
  mbPerSec: number;
  fetchMsgPerSec: number;
  rebalanceMs: number;
  records: number;
  /** wall time of the tool, JVM start included */
  wallSeconds: number;
  /** CPU time of the JVM (JIT and GC threads included), JVM start included; NaN where /proc is missing */
  cpuSeconds: number;
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds (Linux; NaN elsewhere) */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

const TOOL = join(ROOT, 'scripts', 'kafka-tool.sh');
const MAIN = 'org.apache.kafka.tools.ConsumerPerformance';

/** Kafka 4.x deprecates `--messages` for `--num-records`; older tools only have `--messages`. */
async function countFlag(): Promise<string> {
  const help = await run('bash', [TOOL, MAIN, '--help'], { maxBuffer: 1 << 20 }).catch(
    (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
  );
  return `${help.stdout}${help.stderr}`.includes('--num-records') ? '--num-records' : '--messages';
}

export async function consumerPerformance(
  stack: Stack,
  topic: string,
  records: number,
  group: string,
): Promise<ConsumerPerformanceResult> {
  const flag = await countFlag();
  const started = performance.now();
  const args = [
    TOOL,
    MAIN,
    '--bootstrap-server',
    stack.brokers.join(','),
    '--topic',
    topic,
    flag,
    String(records),
    '--group',
    group,
    '--timeout',
    '60000',
  ];
  let cpuSeconds = Number.NaN;
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      'bash',
      args,
      {
        maxBuffer: 16 << 20,
        env: { ...process.env, KAFKA_TOOL_HEAP_OPTS: process.env.KAFKA_TOOL_HEAP_OPTS ?? '-Xmx1g' },
      },
      (err, out, errOut) => {
        clearInterval(sampler);
        if (err) reject(new Error(`ConsumerPerformance failed: ${err.message}\n${errOut}`));
        else resolve(out);
      },
    );
    // kafka-tool.sh execs java, so the child's pid is the JVM's; the last sample before
    // it exits is its CPU time (to within the sampling period)
    const sampler = setInterval(() => {
      const s = processCpuSeconds(child.pid);
      if (Number.isFinite(s)) cpuSeconds = s;
    }, 100);
  });
  const wallSeconds = (performance.now() - started) / 1000;
  return { ...parseConsumerPerformance(stdout), wallSeconds, cpuSeconds };
}

export function parseConsumerPerformance(
  stdout: string,
): Omit<ConsumerPerformanceResult, 'wallSeconds' | 'cpuSeconds'> {
  const lines = stdout.split('\n').map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0 || !lines[h + 1]) throw new Error(`ConsumerPerformance: no result in its output:\n${stdout}`);
  const names = lines[h]!.split(',').map((s) => s.trim());
  const values = lines[h + 1]!.split(',').map((s) => s.trim());
  const get = (name: string): number => {
    const i = names.indexOf(name);
    const v = i < 0 ? Number.NaN : Number(values[i]);
    if (!Number.isFinite(v)) throw new Error(`ConsumerPerformance: no numeric ${name} in:\n${stdout}`);
    return v;
  };
  return {
    msgPerSec: get('nMsg.sec'),
    mbPerSec: get('MB.sec'),
    fetchMsgPerSec: get('fetch.nMsg.sec'),
    rebalanceMs: get('rebalance.time.ms'),
    records: get('data.consumed.in.nMsg'),
  };
}
