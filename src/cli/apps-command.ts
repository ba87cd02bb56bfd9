import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { listApps } from '../query/list-apps.js';
import { connectRedis } from './connect-redis.js';

export function registerAppsCommand(program: Command): void {
  program
    .command('apps')
    .description('list the apps with stored metrics, most recently seen first')
    .option('--limit <n>', 'apps shown', '50')
    .option('--names', 'print only the app names, one per line (for scripts)')
    .action(async (opts: { limit: string; names?: boolean }) => {
      const config = loadConfig();
      const redis = await connectRedis(config);
      try {
        const apps = (await listApps(redis, config.redis.prefix)).slice(0, Number(opts.limit));
        for (const a of apps) {
          process.stdout.write(
            opts.names ? `${a.app}\n` : `${a.app}\t${new Date(a.lastSeenMs).toISOString()}\n`,
          );
        }
      } finally {
        redis.disconnect();
      }
    });
}
