import type { GeneratedLine } from './line-generator.js';
import { createPrng } from './prng.js';

/**
 * Heroku adds one drain per app, and each drain's requests carry its own
 * `Logplex-Drain-Token`; platform lines (dyno samples, R14s) name no app, so the
 * token is what ties them to one (shared/domain/heroku-drains.md). With
 * `--token-per-app`, gen posts each app's lines in batches of their own under a
 * token derived from the app's host:
 *
 *   quiet-reef-12345.herokuapp.com → d.6b1f0e2a-93c4-4d1e-8a7b-0c5d2e9f1a34   (same host, same token)
 *
 * Lines that belong to no generated app keep the shared token.
 */
export function appDrainToken(host: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) h = Math.imul(h ^ host.charCodeAt(i), 0x01000193) >>> 0;
  const rng = createPrng(h);
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(16)];
    return s;
  };
  return `d.${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rng.int(4)]}${hex(3)}-${hex(12)}`;
}

/** The lines of one batch, grouped by the drain token of their app, in order within each group. */
export function groupByAppToken(
  lines: readonly Pick<GeneratedLine, 'line' | 'app'>[],
  sharedToken: string,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const l of lines) {
    const token = l.app === '' ? sharedToken : appDrainToken(l.app);
    let group = groups.get(token);
    if (group === undefined) {
      group = [];
      groups.set(token, group);
    }
    group.push(l.line);
  }
  return groups;
}
