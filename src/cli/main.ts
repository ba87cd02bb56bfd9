#!/usr/bin/env node
import { Command } from 'commander';
import { isRoutemeterError } from '../errors/routemeter-error.js';
import { registerAppsCommand } from './apps-command.js';
import { registerDrainCommand } from './drain-command.js';
import { registerGenCommand } from './gen-command.js';
import { registerReplayCommand } from './replay-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStackCommand } from './stack-command.js';
import { registerTopCommand } from './top-command.js';

/**
 * `routemeter`: one binary, one subcommand per process type.
 *   drain  HTTPS log drain → Kafka          (Procfile: web)
 *   run    stream runtime → Redis, /metrics  (Procfile: worker)
 *   serve  JSON query API + dashboard page  (Procfile: api; see README)
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
registerServeCommand(program);
registerTopCommand(program);
registerAppsCommand(program);
registerGenCommand(program);
registerReplayCommand(program);
registerStackCommand(program);

// A failure a person can act on (bad config, a server unreachable) is one line on
// stderr naming the variable; anything else is a bug and keeps its stack.
program.parseAsync(process.argv).catch((err: unknown) => {
  if (isRoutemeterError(err)) {
    process.stderr.write(`routemeter: ${err.message} [${err.code}]\n`);
  } else {
    process.stderr.write(`routemeter: unexpected failure\n${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exitCode = 1;
});
