import { execFileSync } from 'node:child_process';

import { CLI_MAIN as MAIN } from '../support/child-process.js';

export { MAIN };

/** The subcommands `routemeter --help` lists (commander's "Commands:" section). */
export function cliCommands(): string[] {
  const help = execFileSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
  const section = help.slice(help.indexOf('Commands:'));
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

/**
 * `node dist/src/cli/main.js run --flag` or `routemeter run` → "run"; null when the
 * command line does not start the routemeter CLI.
 */
export function subcommandOf(commandLine: string): string | null {
  const m = /^(?:node\s+(?:\S*\/)?dist\/src\/cli\/main\.js|routemeter)\s+([a-z][a-z-]*)/.exec(
    commandLine.trim(),
  );
  return m ? m[1]! : null;
}
