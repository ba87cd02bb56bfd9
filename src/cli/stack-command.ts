import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { RoutemeterError } from '../errors/routemeter-error.js';

/** `routemeter stack up|down|status|env|cluster-up|cluster-down`: the local Kafka (KRaft, from Maven Central), Redis, and a local Redis Cluster. */
export function registerStackCommand(program: Command): void {
  program
    .command('stack')
    .description('manage the local single-node Kafka (KRaft) and Redis used for development and tests')
    .argument('<action>', 'up | down | status | env | cluster-up | cluster-down')
    .action((action: string) => {
      const script = fileURLToPath(new URL('../../../scripts/stack.sh', import.meta.url));
      const result = spawnSync('bash', [script, action], { stdio: 'inherit' });
      if (result.error) {
        throw new RoutemeterError('RM_ERR_STACK', `cannot run ${script}: ${result.error.message}`, {
          cause: result.error,
        });
      }
      process.exitCode = result.status ?? 1;
    });
}
