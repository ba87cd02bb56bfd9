/**
 * Where the local stack is, for every bench script: KAFKA_URL / REDIS_URL /
 * KAFKA_VERSION from the environment, else from .stack/env (scripts/stack.sh up).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** the repository root, from dist/bench/support/ or bench/support/ */
export const ROOT = [join(here, '..', '..', '..'), join(here, '..', '..')].find((d) =>
  existsSync(join(d, 'package.json')),
)!;

export interface Stack {
  kafkaUrl: string;
  redisUrl: string;
  kafkaVersion: string;
  /** host:port of every broker, for kafkajs and the Java tools */
  brokers: string[];
}

/** KAFKA_URL / REDIS_URL / KAFKA_VERSION from the environment, else from .stack/env (scripts/stack.sh up). */
export function stackEnv(): Stack {
  const file = join(ROOT, '.stack', 'env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) fromFile[m[1]!] = m[2]!;
    }
  }
  const kafkaUrl = process.env.KAFKA_URL || fromFile.KAFKA_URL;
  if (!kafkaUrl) throw new Error('KAFKA_URL is not set and there is no .stack/env: run `npm run stack up`');
  return {
    kafkaUrl,
    redisUrl: process.env.REDIS_URL || fromFile.REDIS_URL || 'redis://127.0.0.1:6379',
    kafkaVersion: process.env.KAFKA_VERSION || fromFile.KAFKA_VERSION || 'unknown',
    brokers: kafkaUrl
      .split(',')
      .map((u) =>
        u
          .trim()
          .replace(/^kafka(\+ssl)?:\/\//, '')
          .replace(/\/$/, ''),
      )
      .filter((u) => u.length > 0),
  };
}
