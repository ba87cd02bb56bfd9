import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { resolutionsFromConfig } from '../query/choose-resolution.js';
import { MergePool } from '../query/merge-pool.js';
import { connectRedis } from './connect-redis.js';
import { runTop, TOP_SORTS, type TopSort } from './top.js';

export function registerTopCommand(program: Command): void {
  program
    .command('top')
    .description(
      'live per-route table for one app: requests, rpm, p50/p95/p99 (ms), status classes, error rate; its dynos (memory, load, R14s and restarts) under it',
    )
    .requiredOption('--app <host>', "the app's host, as in the router's host= field")
    .option('--since <seconds>', 'time range to show, ending now', '300')
    .option('--interval <ms>', 'refresh interval', '2000')
    .option('--limit <n>', 'rows shown', '20')
    .option('--sort <key>', `sort by: ${TOP_SORTS.join(', ')}`, 'count')
    .option('--once', 'print one table and exit')
    .option('--note <text>', 'a line printed under every frame')
    .action(
      async (opts: {
        app: string;
        since: string;
        interval: string;
        limit: string;
        sort: string;
        once?: boolean;
        note?: string;
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
            ...(opts.note ? { note: opts.note } : {}),
            resolutions: resolutionsFromConfig(config.runtime),
            platformTopic: config.topics.platform,
            signal: controller.signal,
            merge: (hashes, options) => pool.merge(hashes, options),
          });
        } catch (err) {
          // a person typed the app name: answer like a command line tool, not with a JSON log line
          if (!isRoutemeterError(err, 'RM_ERR_UNKNOWN_APP')) throw err;
          process.stderr.write(`routemeter top: ${err.message}\n`);
          process.exitCode = 1;
        } finally {
          await pool.close();
          redis.disconnect();
        }
      },
    );
}
