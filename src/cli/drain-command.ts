import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/config.js';
import { startDrain } from '../ingest/drain-server.js';
import { registerProcessMetrics } from '../sinks/prometheus/process-metrics.js';
import { createLogger } from '../telemetry/logger.js';

export function registerDrainCommand(program: Command): void {
  program
    .command('drain')
    .description('serve the logplex HTTPS drain (POST /logs) on $PORT and produce every line to Kafka')
    .option('--port <port>', 'listen port (default: PORT)')
    .action(runDrainCommand);
}

/** `routemeter drain` (and `routemeter web` when ROUTEMETER_WEB=drain): runs until SIGTERM. */
export async function runDrainCommand(opts: { port?: string }): Promise<void> {
  const env = { ...process.env };
  if (opts.port) env.PORT = opts.port;
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const registry = new Registry();
  registerProcessMetrics(registry);
  let closing = false;
  let handle: Awaited<ReturnType<typeof startDrain>> | null = null;
  const stop = async () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), config.runtime.shutdownTimeoutMs + 2000).unref();
    if (handle) await handle.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  handle = await startDrain(config, logger, registry);
  logger.info({ port: handle.port, path: config.drain.path }, 'routemeter drain is up');
  if (closing) await stop();
}
