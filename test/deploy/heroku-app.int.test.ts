import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config.js';
import { cliCommands, subcommandOf } from './cli-commands.js';

/**
 * Heroku stays first-class: app.json (Heroku Button / review apps) and the Procfile must
 * agree with the CLI and the config. An integration test only because it runs the built
 * CLI (`npm run build` first), like the other tests that start `dist/`.
 */
const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

interface AppJson {
  formation?: Record<string, { quantity: number; size?: string }>;
  addons?: Array<{ plan: string; as?: string }>;
  env?: Record<string, { description?: string; value?: string; required?: boolean; generator?: string }>;
  scripts?: Record<string, string>;
}

const appJson = JSON.parse(readFileSync(root('app.json'), 'utf8')) as AppJson;
const procfile = new Map(
  readFileSync(root('Procfile'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(l);
      if (!m) throw new Error(`Procfile: not "type: command": ${l}`);
      return [m[1]!, m[2]!] as const;
    }),
);

/** The config vars each add-on sets on the app (Heroku's documented names). */
const ADDON_VARS: Record<string, string[]> = {
  'heroku-kafka': [
    'KAFKA_URL',
    'KAFKA_TRUSTED_CERT',
    'KAFKA_CLIENT_CERT',
    'KAFKA_CLIENT_CERT_KEY',
    'KAFKA_PREFIX',
  ],
  'heroku-redis': ['REDIS_URL'],
};

/** Config vars app.json does not declare, and why; every other one src/config reads must be there. */
const NOT_IN_APP_JSON: Record<string, string> = {
  PORT: 'Heroku sets it on the web dyno',
  ...Object.fromEntries(
    Object.values(ADDON_VARS)
      .flat()
      .map((name) => [name, 'set by its add-on']),
  ),
};

describe('app.json and the Procfile', () => {
  it('start only subcommands the CLI has', () => {
    const commands = cliCommands();
    expect(commands).toEqual(expect.arrayContaining(['drain', 'run']));
    expect(procfile.size).toBeGreaterThan(0);
    for (const [type, line] of procfile) {
      const sub = subcommandOf(line);
      expect(sub, `Procfile ${type}: ${line}`).not.toBeNull();
      expect(commands, `Procfile ${type}: ${line}`).toContain(sub);
    }
    // the web process must be the one that binds $PORT: the drain (or the read side)
    expect(['drain', 'serve', 'web']).toContain(subcommandOf(procfile.get('web') ?? ''));
  });

  it('scale only process types the Procfile defines', () => {
    for (const type of Object.keys(appJson.formation ?? {})) expect([...procfile.keys()]).toContain(type);
  });

  it('declare only config vars src/config reads, with values it accepts', () => {
    const env = appJson.env ?? {};
    for (const [name, spec] of Object.entries(env)) {
      expect(CONFIG_VARIABLES, `app.json env ${name}`).toContain(name);
      if (spec.value !== undefined)
        expect(() => loadConfig({ [name]: spec.value, DRAIN_ALLOW_OPEN: 'true' })).not.toThrow();
    }
    for (const addon of appJson.addons ?? []) {
      const service = addon.plan.split(':')[0]!;
      expect(Object.keys(ADDON_VARS), `add-on ${addon.plan}`).toContain(service);
      for (const name of ADDON_VARS[service]!) expect(CONFIG_VARIABLES).toContain(name);
    }
  });

  it('declare every config var src/config reads, with a description, unless an add-on or Heroku sets it', () => {
    const env = appJson.env ?? {};
    const missing = CONFIG_VARIABLES.filter((name) => !(name in env) && NOT_IN_APP_JSON[name] === undefined);
    expect(missing, 'config vars app.json lacks').toEqual([]);
    for (const [name, why] of Object.entries(NOT_IN_APP_JSON)) {
      expect(env, `${name}: ${why}`).not.toHaveProperty(name);
      expect(CONFIG_VARIABLES).toContain(name);
    }
    for (const [name, spec] of Object.entries(env))
      expect(spec.description?.length ?? 0, `${name} has a description`).toBeGreaterThan(10);
    // '' means off for these two (loadConfig): a blank form field must not turn them off
    for (const name of ['PLATFORM_TOPIC', 'DYNO_SUMMARY_TOPIC']) expect(env[name]?.value, name).toBeTruthy();
  });

  it('provide every variable the processes cannot start without', () => {
    const provided = new Set([
      ...Object.keys(appJson.env ?? {}),
      ...(appJson.addons ?? []).flatMap((a) => ADDON_VARS[a.plan.split(':')[0]!] ?? []),
    ]);
    // Kafka and Redis come from the add-ons (the defaults point at localhost)
    for (const name of ['KAFKA_URL', 'REDIS_URL']) expect(provided, name).toContain(name);
    // heroku-redis serves rediss:// with a self-signed certificate: without this, no process reaches Redis
    if ((appJson.addons ?? []).some((a) => a.plan.startsWith('heroku-redis:'))) {
      expect(appJson.env?.REDIS_TLS_VERIFY?.value).toBe('false');
    }
    // the drain refuses to start without credentials unless explicitly open
    const drainReady = provided.has('DRAIN_USERS') && appJson.env?.DRAIN_USERS?.required === true;
    expect(drainReady || appJson.env?.DRAIN_ALLOW_OPEN?.value === 'true').toBe(true);
    // every required var is one the config reads (checked above) and has no default to fall back on
    for (const [name, spec] of Object.entries(appJson.env ?? {})) {
      if (spec.required)
        expect(spec.value ?? spec.generator, `${name} is required: no value`).toBeUndefined();
    }
  });
});
