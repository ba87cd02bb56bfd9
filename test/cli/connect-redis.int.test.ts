import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/cli/connect-redis.js';
import { loadConfig } from '../../src/config/config.js';

const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);

/** A port nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs the built CLI; resolves with its exit code and output whatever the code. */
async function cli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('CLI when a server is unreachable or the config is wrong', () => {
  it('connectRedis fails once, typed, naming REDIS_URL and the address', async () => {
    const port = await closedPort();
    const config = loadConfig({ REDIS_URL: `redis://:secret@127.0.0.1:${port}` });
    const err = await connectRedis(config).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RM_ERR_REDIS_UNAVAILABLE', canRetry: true });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain('(REDIS_URL)');
    expect((err as Error).message).not.toContain('secret');
  });

  it.each([
    ['apps', ['apps']],
    ['top', ['top', '--app', 'x.herokuapp.com', '--once']],
  ])('%s prints one line on stderr naming REDIS_URL and exits non-zero', async (_, args) => {
    const port = await closedPort();
    const r = await cli(args, { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^routemeter: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}.* \\(REDIS_URL\\).*\\[RM_ERR_REDIS_UNAVAILABLE\\]`,
      ),
    );
    expect(r.stderr).not.toContain('Unhandled error event');
  });

  it('run prints one line naming KAFKA_URL when no broker answers', async () => {
    const port = await closedPort();
    const r = await cli(['run'], {
      KAFKA_URL: `kafka://127.0.0.1:${port}`,
      KAFKA_RETRIES: '0',
      KAFKA_CONNECT_TIMEOUT_MS: '500',
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`^routemeter: cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(KAFKA_URL\\)`),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      { ROLLUP_SECONDS: '25' },
      /^routemeter: ROLLUP_SECONDS: 25 is not a multiple of WINDOW_SECONDS \(10\) \[RM_ERR_CONFIG\]$/,
    ],
    [{ LOG_LEVEL: 'loud' }, /^routemeter: LOG_LEVEL: .*\[RM_ERR_CONFIG\]$/],
  ])('run refuses %o before starting anything, in one line', async (env, message) => {
    const r = await cli(['run'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stdout).not.toContain('is up');
  });
});
