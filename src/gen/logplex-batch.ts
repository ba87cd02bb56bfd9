import { randomBytes } from 'node:crypto';
import { formatSyslogFrame } from '../logplex/syslog-frame-format.js';

/**
 * One logplex POST as Heroku's logplex sends it: octet-counted frames and the
 * Logplex-* headers. The frame id is kept across retries of the same batch, which
 * is what the drain's dedupe keys on.
 *
 *   POST /logs HTTP/1.1
 *   Content-Type: application/logplex-1
 *   Logplex-Msg-Count: 100
 *   Logplex-Frame-Id: 09C557EAFCFB6CF2740EE62F62971098
 *   Logplex-Drain-Token: d.fc6b856b-3332-4546-93de-7d0ee272c3bd
 *   User-Agent: Logplex/v123
 */
export interface LogplexBatch {
  body: Buffer;
  lines: number;
  frameId: string;
  headers: Record<string, string>;
}

export function newFrameId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export function buildLogplexBatch(
  lines: readonly string[],
  drainToken: string,
  frameId = newFrameId(),
): LogplexBatch {
  let text = '';
  for (const line of lines) text += formatSyslogFrame(line);
  const body = Buffer.from(text);
  return {
    body,
    lines: lines.length,
    frameId,
    headers: {
      'content-type': 'application/logplex-1',
      'content-length': String(body.length),
      'logplex-msg-count': String(lines.length),
      'logplex-frame-id': frameId,
      'logplex-drain-token': drainToken,
      'user-agent': 'Logplex/v123 (routemeter gen)',
    },
  };
}
