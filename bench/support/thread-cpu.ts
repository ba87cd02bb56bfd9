import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time per thread of this process, from Linux's /proc/self/task/<tid>/stat
 * (utime + stime, fields 14 and 15, in clock ticks of 1/100 s), so that a bench can
 * tell the worker threads' own CPU from what the rest of the process spends: the
 * main thread, V8's GC helper threads, libuv. `process.cpuUsage()` only gives the sum.
 *
 *   1234 (node) S 1 … utime stime …     (comm in parentheses may hold spaces)
 *
 * Node names every JS thread "node", so a worker thread is told by its CPU: in a run
 * where the workers are the busy ones, they are the busiest threads.
 * Null where /proc is not there.
 */
export type ThreadCpu = Map<string, number>;

const TICK_SECONDS = 0.01;

export function threadCpuSnapshot(): ThreadCpu | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out: ThreadCpu = new Map();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // after "(comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * TICK_SECONDS);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU seconds each thread used between the snapshots, busiest first (threads that used none left out). */
export function threadCpuUsed(before: ThreadCpu, after: ThreadCpu): Array<[tid: string, seconds: number]> {
  return [...after]
    .map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)] as [string, number])
    .filter(([, s]) => s > 0)
    .sort((x, y) => y[1] - x[1]);
}

/** Seconds of CPU of the `n` threads that used the most between the snapshots. */
export function busiestThreads(before: ThreadCpu | null, after: ThreadCpu | null, n: number): number | null {
  if (before === null || after === null) return null;
  return threadCpuUsed(before, after)
    .slice(0, n)
    .reduce((sum, [, s]) => sum + s, 0);
}
