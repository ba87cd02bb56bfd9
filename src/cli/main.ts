#!/usr/bin/env node
import { Command } from 'commander';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { createLogger } from '../telemetry/logger.js';
import { registerAppsCommand } from './apps-command.js';
import { registerDrainCommand } from './drain-command.js';
import { registerGenCommand } from './gen-command.js';
import { registerReplayCommand } from './replay-command.js';
import { registerRunCommand } from './run-command.js';
import { registerStackCommand } from './stack-command.js';
import { registerTopCommand } from './top-command.js';

/**
 * `routemeter`: one binary, one subcommand per process type.
 *   drain  HTTPS log drain → Kafka          (Procfile: web)
 *   run    stream runtime → Redis, /metrics  (Procfile: worker)
 *   top    live per-route table for one app
 *   apps   the apps with stored metrics
 *   gen    realistic logplex traffic for a drain
 *   replay recorded production requests → a staging app, with a divergence report
 *   stack  the local Kafka + Redis (development)
 */
const program = new Command()
  .name('routemeter')
  .description('Heroku router logs → Kafka → route actors on worker threads → Redis and Prometheus')
  .version('0.1.0')
  .showHelpAfterError();

registerDrainCommand(program);
registerRunCommand(program);
registerTopCommand(program);
registerAppsCommand(program);
registerGenCommand(program);
registerReplayCommand(program);
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
