import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * The URL of a worker or pool task script next to the calling module.
 *
 * Worker threads and piscina load JavaScript. In production the caller is
 * `dist/src/<dir>/<caller>.js` and the script sits beside it; when the TypeScript sources
 * run under a test runner (the caller's URL ends in `.ts`), the compiled script in `dist/`
 * is used instead, so tests need `npm run build` first (scripts/test.sh does it).
 *
 *   resolveWorkerScript(import.meta.url, 'partition-worker.js')
 */
export function resolveWorkerScript(callerUrl: string, fileName: string): URL {
  const here = new URL(`./${fileName}`, callerUrl);
  if (!callerUrl.endsWith('.ts')) return here;
  const srcRoot = new URL('../../src/', import.meta.url);
  const relative = here.href.slice(srcRoot.href.length);
  const compiled = new URL(`../../dist/src/${relative}`, import.meta.url);
  if (!here.href.startsWith(srcRoot.href) || !existsSync(fileURLToPath(compiled))) {
    throw new RoutemeterError(
      'RM_ERR_BUILD_MISSING',
      `dist/src/${relative} is missing: run \`npm run build\` first`,
    );
  }
  return compiled;
}
