import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { waitFor } from './kafka.js';
import { freePort } from './private-kafka.js';

/**
 * A redis-server of this test's own, on a free port, that the test may pause
 * (SIGSTOP: connections stay open, nothing answers, as in a stalled Redis) and
 * resume. Never pause the shared one. Killed when the test finishes.
 */
export interface PrivateRedis {
  url: string;
  pause(): void;
  resume(): void;
}

export async function usePrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  onTestFinished(() => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    { timeoutMs: 10_000, intervalMs: 100, message: `private redis-server on ${port} answers PING` },
  );
  return {
    url,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}
