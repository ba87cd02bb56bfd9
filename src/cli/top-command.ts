import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { resolutionsFromConfig } from '../query/choose-resolution.js';
import { MergePool } from '../query/merge-pool.js';
import { connectRedis } from './connect-redis.js';
import { runTop, TOP_SORTS, type TopSort } from './top.js';

export function registerTopCommand(program: Command): void {
  program
    .command('top')
    .description('live per-route latency table for one app (count, rpm, avg, p50/p95/p99, max, errors)')
    .requiredOption('--app <host>', "the app's host, as in the router's host= field")
    .option('--since <seconds>', 'time range to show, ending now', '300')
    .option('--interval <ms>', 'refresh interval', '2000')
    .option('--limit <n>', 'rows shown', '20')
    .option('--sort <key>', `sort by: ${TOP_SORTS.join(', ')}`, 'count')
    .option('--once', 'print one table and exit')
    .action(
      async (opts: {
        app: string;
        since: string;
        interval: string;
        limit: string;
        sort: string;
        once?: boolean;
      }) => {
        const config = loadConfig();
        const redis = await connectRedis(config);
        const pool = new MergePool({ maxThreads: 1 });
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        try {
          await runTop({
            redis,
            prefix: config.redis.prefix,
            app: opts.app,
            sinceSeconds: Number(opts.since),
            intervalMs: Number(opts.interval),
            limit: Number(opts.limit),
            sort: opts.sort as TopSort,
            once: opts.once === true,
            resolutions: resolutionsFromConfig(config.runtime),
            signal: controller.signal,
            merge: (hashes, options) => pool.merge(hashes, options),
          });
        } finally {
          await pool.close();
          redis.disconnect();
        }
      },
    );
}
