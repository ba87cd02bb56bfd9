import type { Command } from 'commander';

/** `drain`, `gen` and `top`: wired once their modules land. */
export function registerDrainCommands(_program: Command): void {}
