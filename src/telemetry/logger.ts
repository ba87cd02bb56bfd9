import { type Logger, pino } from 'pino';

/**
 * Structured logs (pino, JSON on stdout, as Heroku's log router expects).
 * Credentials never reach a log line: URLs are logged through `redactUrl`, and
 * these paths are censored wherever they appear.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'config.drain.users',
  'config.kafka.ssl',
  'ssl',
  '*.ssl',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'routemeter'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** `redis://user:secret@host:6379` → `redis://user:***@host:6379` */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}

export type { Logger };
