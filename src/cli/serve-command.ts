import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { startApi } from '../api/api-server.js';
import { loadConfig } from '../config/config.js';
import { MergePool } from '../query/merge-pool.js';
import { createLogger } from '../telemetry/logger.js';
import { serveUntilSignal } from './serve-until-signal.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the JSON query API (/api/v1) and the dashboard (/) on $PORT, read-only over Redis')
    .option('--port <port>', 'listen port (default: PORT)')
    .action(runServeCommand);
}

/** `routemeter serve` (and `routemeter web` when ROUTEMETER_WEB=serve): runs until SIGTERM. */
export async function runServeCommand(opts: { port?: string }): Promise<void> {
  const env = { ...process.env };
  if (opts.port) env.PORT = opts.port;
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  // Big merges (a week of windows) run on a pool so the event loop keeps serving.
  const pool = new MergePool({ maxThreads: Math.max(1, Math.min(4, availableParallelism() - 1)) });
  // Heroku sends SIGKILL 30 s after SIGTERM: in-flight requests get the rest.
  await serveUntilSignal(
    config.runtime.shutdownTimeoutMs,
    async () => {
      const api = await startApi(config, logger, { merge: (hashes, options) => pool.merge(hashes, options) });
      return {
        port: api.port,
        async close() {
          await api.close();
          await pool.close();
        },
      };
    },
    (handle) => logger.info({ port: handle.port }, `dashboard: http://127.0.0.1:${handle.port}/`),
  );
}
