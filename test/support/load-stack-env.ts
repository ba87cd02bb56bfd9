/**
 * Vitest setup file of the `integration` project (vitest.config.ts).
 *
 * Integration tests talk to the real Kafka and Redis started by `npm run stack up`
 * (scripts/stack.sh), which writes them to `.stack/env`:
 *
 *   export KAFKA_URL=kafka://127.0.0.1:9092
 *   export REDIS_URL=redis://127.0.0.1:6379
 *   export KAFKA_VERSION=4.4.0
 *   export KAFKA_TLS_URL=kafka+ssl://127.0.0.1:9094        (the broker's SSL listener, and the
 *   export KAFKA_TLS_CA_FILE=…/.stack/tls/ca.pem             PEM files for test/kafka/kafka-tls)
 *   export KAFKA_TLS_CLIENT_CERT_FILE=…/.stack/tls/client.pem
 *   export KAFKA_TLS_CLIENT_KEY_FILE=…/.stack/tls/client.key
 *
 * Variables already in the environment win (CI sources .stack/env; a developer may point
 * at another broker); the file only fills in what is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const STACK_ENV_FILE = fileURLToPath(new URL('../../.stack/env', import.meta.url));

const REQUIRED = ['KAFKA_URL', 'REDIS_URL'] as const;

/** Parses `export KEY=value` / `KEY=value` lines; `#` comments and blank lines are skipped. */
export function parseStackEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    out[m[1]] = value;
  }
  return out;
}

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env, file = STACK_ENV_FILE): void {
  const missing = () => REQUIRED.filter((k) => !env[k]);
  if (missing().length === 0) return;
  if (existsSync(file)) {
    for (const [k, v] of Object.entries(parseStackEnv(readFileSync(file, 'utf8')))) {
      if (env[k] === undefined || env[k] === '') env[k] = v;
    }
  }
  const still = missing();
  if (still.length > 0) {
    throw new Error(
      `integration tests need ${still.join(' and ')}: not in the environment and not in ${file}. ` +
        "Start the local Kafka + Redis with 'npm run stack up' (scripts/stack.sh), " +
        "or run only the unit tests with 'npm run test:unit'.",
    );
  }
}

loadStackEnv();
