/**
 * One router request as the route actors see it: the fields of a Heroku router
 * line that routemeter aggregates, plus the syslog timestamp (event time).
 *
 *   <158>1 2020-01-08T22:33:57.353034+00:00 host heroku router - at=info method=GET
 *     path="/cart_link" host=lumberjack-store.timber.io request_id=… fwd="73.75.38.87"
 *     dyno=web.1 connect=1ms service=22ms status=304 bytes=656 protocol=http
 *
 * The hot path reuses one `RouterEvent` object per consumer (see `createRouterEvent`),
 * so the parser fills fields instead of allocating an object per line. The runtime's
 * parser (`scanRouterEvent`) does not even decode `host=` and `path=`: it leaves their
 * offsets into `src`, the record's bytes, and the route actors look them up from
 * there (`app` and `path` are then ''). An event built by hand has `src` null and
 * its `app` and `path` set.
 * Missing or empty numeric fields (`connect= service= bytes=` on H10) are -1.
 */
export interface RouterEvent {
  /** event time: the syslog TIMESTAMP, in ms since the epoch */
  timestampMs: number;
  /** the app, identified by the router's `host=` field (the Host header) */
  app: string;
  method: string;
  /** the raw `path=` value: path and query string, unquoted */
  path: string;
  /** HTTP status, -1 if absent */
  status: number;
  /** `service=Nms`, -1 if empty */
  serviceMs: number;
  /** `connect=Nms`, -1 if empty */
  connectMs: number;
  /** `bytes=N`, -1 if empty */
  bytes: number;
  /** `code=H12` on `at=error` lines, else '' */
  code: string;
  /** the bytes `appStart…pathEnd` index into, or null when `app` and `path` are the strings to use */
  src: Buffer | null;
  /** `host=` value: src[appStart, appEnd) */
  appStart: number;
  appEnd: number;
  /** `path=` value (unquoted, query string included): src[pathStart, pathEnd) */
  pathStart: number;
  pathEnd: number;
}

export function createRouterEvent(): RouterEvent {
  return {
    timestampMs: 0,
    app: '',
    method: '',
    path: '',
    status: -1,
    serviceMs: -1,
    connectMs: -1,
    bytes: -1,
    code: '',
    src: null,
    appStart: 0,
    appEnd: 0,
    pathStart: 0,
    pathEnd: 0,
  };
}
