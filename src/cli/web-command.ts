import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { runDrainCommand } from './drain-command.js';
import { runServeCommand } from './serve-command.js';

/**
 * Heroku routes HTTP only to the Procfile's `web` process, so an app has one HTTP role.
 * `web` is the drain by default; a second app that attaches the same Kafka and Redis
 * add-ons sets `ROUTEMETER_WEB=serve` to make its `web` the API and dashboard
 * (docs/api.md, "Running it on Heroku").
 */
export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description("Heroku's web process: the drain, or the API and dashboard when ROUTEMETER_WEB=serve")
    .option('--port <port>', 'listen port (default: PORT)')
    .action(async (opts: { port?: string }) => {
      const { web } = loadConfig(process.env);
      await (web === 'serve' ? runServeCommand(opts) : runDrainCommand(opts));
    });
}
