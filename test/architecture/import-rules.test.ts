import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Arrows point one way: the data path reads from the folder names
 * (logplex → ingest → kafka ⇢ runtime → actors → sinks ⇢ query → api/cli), and this test
 * reads every import in src/ and fails on one that points backwards.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Modules that do I/O or schedule work: pure code (actors, formats) must not import them. */
const IO_MODULES = [
  'kafkajs',
  'ioredis',
  'undici',
  'pino',
  'prom-client',
  'piscina',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:http2',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:dgram',
  'node:worker_threads',
  'node:timers',
  'node:timers/promises',
];

interface Rule {
  /** top folder under src/ the rule applies to */
  from: string;
  /** our folders it must not import (top folder under src/) */
  notOurs?: string[];
  /** if set, the only folders of ours it may import (besides itself) */
  onlyOurs?: string[];
  /** packages / node modules it must not import */
  notPackages?: string[];
  why: string;
}

const RULES: Rule[] = [
  {
    from: 'logplex',
    onlyOurs: ['errors'],
    notPackages: IO_MODULES,
    why: 'the formats are pure and import nothing of ours but errors',
  },
  {
    from: 'actors',
    notOurs: ['runtime', 'ingest', 'kafka', 'sinks', 'query', 'api', 'cli', 'replay', 'telemetry', 'config'],
    notPackages: IO_MODULES,
    why: 'actors are pure: no I/O, no clients, no timers',
  },
  {
    from: 'runtime',
    notOurs: ['ingest', 'cli', 'api', 'replay', 'gen'],
    why: 'runtime and ingest never import each other',
  },
  {
    from: 'ingest',
    notOurs: ['runtime', 'actors', 'cli', 'api', 'query', 'replay', 'gen'],
    why: 'runtime and ingest never import each other',
  },
  {
    from: 'kafka',
    notOurs: ['ingest', 'runtime', 'actors', 'sinks', 'query', 'api', 'cli', 'replay', 'gen'],
    why: 'Kafka client concerns know nothing of their users',
  },
  {
    from: 'sinks',
    notOurs: ['runtime', 'ingest', 'query', 'api', 'cli', 'replay', 'gen'],
    why: 'sinks never import runtime',
  },
  {
    from: 'query',
    notOurs: ['runtime', 'ingest', 'api', 'cli', 'replay', 'gen'],
    why: 'query never imports runtime',
  },
  {
    from: 'api',
    notOurs: ['runtime', 'ingest', 'cli', 'replay', 'gen'],
    why: 'the API reads through query, never the runtime',
  },
  {
    from: 'replay',
    notOurs: ['runtime', 'ingest', 'api', 'cli', 'gen'],
    why: 'replay is a consumer of its own',
  },
  {
    from: 'config',
    notOurs: ['runtime', 'ingest', 'kafka', 'sinks', 'query', 'api', 'cli', 'actors', 'replay', 'gen'],
    why: 'config is read by all and reads none',
  },
  {
    from: 'telemetry',
    onlyOurs: ['errors', 'util'],
    why: 'telemetry (logger, health routes) is used by every process and knows none of them',
  },
  { from: 'errors', onlyOurs: [], why: 'errors are the bottom layer' },
  { from: 'util', onlyOurs: ['errors'], why: 'helpers import only errors' },
];

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Specifiers of static imports, re-exports and dynamic imports (type-only imports count too). */
function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3]) as string);
  return specs;
}

function topFolder(file: string): string {
  return relative(SRC, file).split('/')[0] as string;
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of listTs(SRC)) {
    const from = topFolder(file);
    const rules = RULES.filter((r) => r.from === from);
    if (rules.length === 0) continue;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const ours = spec.startsWith('.') ? topFolder(resolve(join(file, '..'), spec)) : null;
      for (const rule of rules) {
        const bad =
          ours !== null
            ? ours !== from &&
              ((rule.notOurs?.includes(ours) ?? false) ||
                (rule.onlyOurs !== undefined && !rule.onlyOurs.includes(ours)))
            : (rule.notPackages?.includes(spec) ?? false);
        if (bad) found.push({ file: relative(SRC, file), imports: spec, why: rule.why });
      }
    }
  }
  return found;
}

describe('import rules', () => {
  it('finds the imports of a module', () => {
    expect(
      importsOf(
        "import { a } from './a.js';\nimport type { B } from '../b/b.js';\nexport { c } from 'c';\nimport 'side';\nconst d = await import('./d.js');",
      ),
    ).toEqual(['./a.js', '../b/b.js', 'c', 'side', './d.js']);
  });

  it('every rule names a folder that exists', () => {
    const folders = new Set(readdirSync(SRC));
    for (const rule of RULES)
      if (!['api', 'replay'].includes(rule.from)) expect(folders).toContain(rule.from);
  });

  it('no import in src/ points backwards', () => {
    expect(violations()).toEqual([]);
  });
});
