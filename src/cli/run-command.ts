import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { type RunningRuntime, runRuntime } from '../runtime/run-runtime.js';
import { createLogger } from '../telemetry/logger.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run the stream runtime: consume the router topic with worker threads, flush to Redis, serve /metrics',
    )
    .option('--workers <n>', 'worker threads (default: WORKER_THREADS)')
    .option('--metrics-port <port>', 'Prometheus port (default: METRICS_PORT)')
    .action(async (opts: { workers?: string; metricsPort?: string }) => {
      const env = { ...process.env };
      if (opts.workers) env.WORKER_THREADS = opts.workers;
      if (opts.metricsPort) env.METRICS_PORT = opts.metricsPort;
      const config = loadConfig(env);
      const logger = createLogger(config.logLevel);
      let runtime: RunningRuntime | null = null;
      let stopping = false;
      let exitCode = 0;

      async function stop(code: number): Promise<void> {
        if (stopping) return;
        stopping = true;
        exitCode = code;
        // A hard deadline under Heroku's 30 s, whatever happens during the flush.
        setTimeout(() => {
          logger.error('shutdown deadline passed; exiting');
          process.exit(code || 1);
        }, config.runtime.shutdownTimeoutMs + 2000).unref();
        if (!runtime) return; // still starting: stopped as soon as the start completes
        const clean = await runtime.stop();
        process.exit(code !== 0 ? code : clean ? 0 : 1);
      }
      // Installed before the start, so a SIGTERM during start-up is an orderly stop too.
      process.once('SIGTERM', () => void stop(0));
      process.once('SIGINT', () => void stop(0));

      runtime = await runRuntime(config, logger, { onEscalate: () => void stop(70) });
      logger.info({ metricsPort: runtime.metrics.port }, 'routemeter run is up');
      if (stopping) {
        const clean = await runtime.stop();
        process.exit(exitCode !== 0 ? exitCode : clean ? 0 : 1);
      }
    });
}
