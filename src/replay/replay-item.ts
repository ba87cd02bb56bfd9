import type { RouteTemplater } from '../actors/route-template.js';
import { createRouterEvent } from '../logplex/router-event.js';
import { parseRouterEvent, parseRouterLine } from '../logplex/router-line.js';
import type { HostMap, TargetBase } from './host-map.js';
import { type QueryRules, redactQuery } from './query-redaction.js';
import type { ReplayFilter, SkipReason } from './replay-filter.js';

/**
 * One router record → one request to send, or the reason it is not sent. Pure.
 *
 *   <158>1 2026-12-01T04:00:00.123456+00:00 host heroku router - at=info method=GET
 *     path="/search?q=shoes&token=abc" host=shop.example.com request_id=8a1f… … status=200 …
 *   → GET https://staging.example.com/search?q=shoes&token=REDACTED
 *     x-routemeter-replay: 8a1f…        (route "GET /search" in the report)
 *
 * The path is sent as the router logged it, except for the query rules and for
 * bytes a request line cannot carry (spaces, controls, non-ASCII), which are
 * percent-encoded. A path that is not origin-form (`http://other/…`, `*`) is not
 * sent: it could name another host.
 */
export interface ReplayItem {
  partition: number;
  eventMs: number;
  app: string;
  method: string;
  /** the path and query actually sent (redacted) */
  path: string;
  /** `METHOD /template`, as the runtime names routes */
  route: string;
  originalStatus: number;
  originalServiceMs: number;
  requestId: string;
  target: TargetBase;
}

export type ItemResult =
  | { ok: true; item: ReplayItem }
  | { ok: false; reason: SkipReason | 'unparsed' | 'out_of_range' | 'no_target' | 'unsendable' };

export interface ItemContext {
  filter: ReplayFilter;
  hostMap: HostMap;
  query: QueryRules;
  templater: RouteTemplater;
  /** event-time range [fromMs, toMs); null ends are open */
  fromMs: number | null;
  toMs: number | null;
}

export function sanitizePath(path: string): string {
  let out = '';
  for (const ch of path) {
    const c = ch.codePointAt(0) as number;
    out += c <= 0x20 || c >= 0x7f ? encodeURIComponent(ch) : ch;
  }
  return out;
}

export function toReplayItem(value: Buffer, partition: number, ctx: ItemContext): ItemResult {
  const event = createRouterEvent();
  if (!parseRouterEvent(value, 0, value.length, event)) return { ok: false, reason: 'unparsed' };
  if (
    (ctx.fromMs !== null && event.timestampMs < ctx.fromMs) ||
    (ctx.toMs !== null && event.timestampMs >= ctx.toMs)
  ) {
    return { ok: false, reason: 'out_of_range' };
  }
  const skip = ctx.filter.check(event);
  if (skip !== null) return { ok: false, reason: skip };
  if (!event.path.startsWith('/')) return { ok: false, reason: 'unsendable' };
  const target = ctx.hostMap.resolve(event.app);
  if (target === null) return { ok: false, reason: 'no_target' };
  const fields = parseRouterLine(value);
  return {
    ok: true,
    item: {
      partition,
      eventMs: event.timestampMs,
      app: event.app,
      method: event.method,
      path: target.prefix + sanitizePath(redactQuery(event.path, ctx.query)),
      route: `${event.method} ${ctx.templater.template(event.path)}`,
      originalStatus: event.status,
      originalServiceMs: event.serviceMs,
      requestId: fields.request_id ?? '',
      target,
    },
  };
}
