import { bytesEqual, type SyslogHeader } from './syslog-header.js';

/**
 * Where a drained line goes, decided from its syslog header alone:
 *
 *   <158>1 … host heroku router - at=info method=GET …            → router   (router topic)
 *   <45>1 … host heroku web.1 - source=web.1 dyno=heroku.… sample#… → platform (runtime metrics)
 *   <172>1 … host heroku logplex - Error L10 (output buffer …      → platform (logging errors)
 *   <190>1 … host app web.1 - Started GET "/" for 1.2.3.4 …         → app      (the app's own output)
 *
 * APP-NAME `heroku` is the platform; anything else (`app`, or a name set by an
 * add-on) is the app's output.
 */
export const LineKind = {
  Router: 0,
  Platform: 1,
  App: 2,
} as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

const HEROKU = Buffer.from('heroku');
const ROUTER = Buffer.from('router');

export function classifyLine(buf: Uint8Array, header: SyslogHeader): LineKind {
  if (!bytesEqual(buf, header.appStart, header.appEnd, HEROKU)) return LineKind.App;
  return bytesEqual(buf, header.procStart, header.procEnd, ROUTER) ? LineKind.Router : LineKind.Platform;
}
