import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { type ApiHandle, startApi } from '../api/api-server.js';
import { loadConfig } from '../config/config.js';
import { MergePool } from '../query/merge-pool.js';
import { createLogger } from '../telemetry/logger.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the JSON query API (/api/v1) and the dashboard (/) on $PORT, read-only over Redis')
    .option('--port <port>', 'listen port (default: PORT)')
    .action(async (opts: { port?: string }) => {
      const env = { ...process.env };
      if (opts.port) env.PORT = opts.port;
      const config = loadConfig(env);
      const logger = createLogger(config.logLevel);
      // Big merges (a week of windows) run on a pool so the event loop keeps serving.
      const pool = new MergePool({ maxThreads: Math.max(1, Math.min(4, availableParallelism() - 1)) });
      let handle: ApiHandle | null = null;
      let closing = false;
      const stop = async () => {
        if (closing) return;
        closing = true;
        // Heroku sends SIGKILL 30 s after SIGTERM: in-flight requests get the rest.
        setTimeout(() => process.exit(1), config.runtime.shutdownTimeoutMs).unref();
        if (handle) await handle.close();
        await pool.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      handle = await startApi(config, logger, { merge: (hashes, options) => pool.merge(hashes, options) });
      logger.info({ port: handle.port }, `dashboard: http://127.0.0.1:${handle.port}/`);
      if (closing) await stop();
    });
}
