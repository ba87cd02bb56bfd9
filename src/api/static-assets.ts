import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the dashboard's files are on disk. The page is plain ES modules with no
 * build step, so they are not compiled: they live in src/api/public/ and are
 * served from there both when the TypeScript runs under a test runner
 * (src/api/…ts) and in production (dist/src/api/…js, three levels below the
 * package root). uPlot is served from its npm package, same-origin.
 */
export function publicDir(): string {
  const candidates = [
    new URL('./public/', import.meta.url),
    new URL('../../../src/api/public/', import.meta.url),
  ];
  for (const c of candidates) {
    const path = fileURLToPath(c);
    if (existsSync(`${path}index.html`)) return path;
  }
  return fileURLToPath(candidates[1]!);
}

export function uplotDir(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}
