#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { createLogger } from '../telemetry/logger.js';
import { registerDrainCommands } from './drain-commands.js';
import { registerRunCommand } from './run-command.js';
import { registerStackCommand } from './stack-command.js';

/**
 * `routemeter`: one binary, one subcommand per process type.
 *   drain  HTTPS log drain → Kafka          (Procfile: web)
 *   run    stream runtime → Redis, /metrics  (Procfile: worker)
 *   top    live per-route table for one app
 *   gen    realistic logplex traffic for a drain
 *   stack  the local Kafka + Redis (development)
 */
const program = new Command()
  .name('routemeter')
  .description('Heroku router logs → Kafka → route actors on worker threads → Redis and Prometheus')
  .version('0.1.0')
  .showHelpAfterError();

registerRunCommand(program);
registerDrainCommands(program);
registerStackCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  if (isRoutemeterError(err)) {
    logger.fatal({ code: err.code }, err.message);
  } else {
    logger.fatal({ err }, 'routemeter failed');
  }
  process.exitCode = 1;
});

export { loadConfig, Option };
