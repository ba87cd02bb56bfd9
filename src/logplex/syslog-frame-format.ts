import { formatRfc3339 } from './rfc3339-timestamp.js';

/**
 * Writes syslog lines and logplex frames the way Heroku's logplex does:
 *
 *   <158>1 2016-06-20T21:56:57.107495+00:00 host heroku router - at=info method=GET …   (a line)
 *   242 <158>1 2016-06-20T21:56:57.107495+00:00 host heroku router - at=info …\n        (its frame)
 *
 * The frame's count is the message's length in UTF-8 bytes, trailing `\n` included.
 * Used by the traffic generator and by the parsers' round-trip tests.
 */
export interface SyslogLineFields {
  /** 158 (local3.info) for router lines, 190 (local7.info) for app output */
  pri?: number;
  timestampMs: number;
  /** 0–999: the last three of Heroku's six fraction digits */
  micros?: number;
  /** HOSTNAME: Heroku always writes `host` */
  host?: string;
  /** APP-NAME: `heroku` or `app` */
  app: string;
  /** PROCID: `router`, `web.1`, `logplex`, … */
  procid: string;
  msgid?: string;
  message: string;
}

export function formatSyslogLine(f: SyslogLineFields): string {
  return (
    `<${f.pri ?? 158}>1 ${formatRfc3339(f.timestampMs, f.micros ?? 0)} ${f.host ?? 'host'} ` +
    `${f.app} ${f.procid} ${f.msgid ?? '-'} ${f.message}`
  );
}

/** `<bytes> <line>\n` for a line without its trailing newline. */
export function formatSyslogFrame(line: string): string {
  return `${Buffer.byteLength(line, 'utf8') + 1} ${line}\n`;
}

/** A whole `application/logplex-1` body: one frame per line. */
export function formatLogplexBody(lines: readonly string[]): string {
  let body = '';
  for (const line of lines) body += formatSyslogFrame(line);
  return body;
}
