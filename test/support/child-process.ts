import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, as the Procfile, the Dockerfile and the Kubernetes manifests start it. */
export const CLI_MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** The exit code of a child process once it has exited (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
