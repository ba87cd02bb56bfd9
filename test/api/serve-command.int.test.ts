import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

// src/cli/serve-command.ts is `serve`'s process wiring; its test lives with the API it
// starts (the lead owns test/cli). The compiled CLI runs as a child, as Heroku runs it.
const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function serve(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN, 'serve'], {
    env: { PATH: process.env.PATH, REDIS_URL: process.env.REDIS_URL, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => {
    text += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    text += b.toString();
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => text };
}

async function listeningPort(output: () => string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /"event":"api.listening","port":(\d+)/.exec(output());
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serve did not start:\n${output()}`);
}

describe('routemeter serve (process)', () => {
  it('serves on $PORT, is ready when Redis answers, and exits 0 on SIGTERM well within 30 s', async () => {
    const { child, output } = serve({ API_TOKENS: 'process-test-token-0123456789' });
    const port = await listeningPort(output);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const uplot = await fetch(`http://127.0.0.1:${port}/vendor/uplot/uPlot.esm.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toMatch(/export \{ uPlot as default \}|export default/);
    // a browser keeps idle keep-alive connections open: they must not hold the exit up
    await fetch(`http://127.0.0.1:${port}/healthz`, { keepalive: true });
    const started = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses to start without credentials, naming the variable', async () => {
    const { child, output } = serve({});
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output()).toContain('API_TOKENS');
    expect(output()).toContain('API_ALLOW_OPEN');
  });
});
