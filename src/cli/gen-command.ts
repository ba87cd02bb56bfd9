import type { Command } from 'commander';
import { runGen } from '../gen/run-gen.js';

export function registerGenCommand(program: Command): void {
  program
    .command('gen')
    .description('POST realistic logplex batches (Zipf routes, many apps, H-codes, dyno samples) to a drain')
    .requiredOption('--url <url>', 'drain URL with credentials, e.g. http://user:pass@127.0.0.1:5000/logs')
    .option('--rate <lines>', 'lines per second (0 = as fast as the drain answers)', '1000')
    .option('--duration <seconds>', 'stop after this many seconds')
    .option('--lines <n>', 'stop after this many lines')
    .option('--batch <lines>', 'lines per logplex batch', '100')
    .option('--concurrency <n>', 'concurrent requests', '4')
    .option('--apps <n>', 'number of apps', '60')
    .option('--routes <n>', 'route shapes per app', '25')
    .option('--seed <n>', 'PRNG seed (same seed, same traffic)', '1')
    .option('--token <token>', 'Logplex-Drain-Token header', 'd.00000000-0000-4000-8000-000000000000')
    .option(
      '--token-per-app',
      'one Logplex-Drain-Token per app (one drain per app, as on Heroku), split batches by app',
    )
    .option('--no-dynos', 'no dyno samples (memory and load every 20 s per dyno, R14s, restarts)')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const num = (v: unknown) => (v === undefined ? undefined : Number(v));
      if (opts.duration === undefined && opts.lines === undefined) opts.duration = '60';
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const result = await runGen({
        url: String(opts.url),
        rate: Number(opts.rate),
        durationSeconds: num(opts.duration),
        totalLines: num(opts.lines),
        batchLines: Number(opts.batch),
        concurrency: Number(opts.concurrency),
        apps: Number(opts.apps),
        routes: Number(opts.routes),
        seed: Number(opts.seed),
        drainToken: String(opts.token),
        dynoSamples: opts.dynos !== false,
        tokenPerApp: opts.tokenPerApp === true,
        progress: opts.progress !== false,
        signal: controller.signal,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.failedBatches > 0) process.exitCode = 1;
    });
}
