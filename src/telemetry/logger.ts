import { destination, type Logger, pino } from 'pino';

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

/**
 * `fd` 2 sends the logs to stderr: for commands whose stdout is their result
 * (`routemeter replay` prints its report there).
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  name = 'routemeter',
  fd: 1 | 2 = 1,
): Logger {
  const options = { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return fd === 1 ? pino(options) : pino(options, destination({ dest: fd, sync: false }));
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
