import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/config.js';
import { startDrain } from '../ingest/drain-server.js';
import { registerProcessMetrics } from '../sinks/prometheus/process-metrics.js';
import { createLogger } from '../telemetry/logger.js';
import { serveUntilSignal } from './serve-until-signal.js';

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
  await serveUntilSignal(
    config.runtime.shutdownTimeoutMs + 2000,
    () => startDrain(config, logger, registry),
    (handle) => logger.info({ port: handle.port, path: config.drain.path }, 'routemeter drain is up'),
  );
}
