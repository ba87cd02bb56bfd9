import type { PlatformDrain } from '../actors/dyno-flush-batch.js';
import { PlatformAggregator, type PlatformAggregatorOptions } from '../actors/platform-aggregator.js';
import type { RecordView } from '../kafka/record-batch-decoder.js';
import { createByteRange, findRecordHeader } from '../kafka/record-header.js';
import { RECORD_HEADERS } from '../kafka/record-slab.js';
import { createPlatformEvent, type PlatformEvent } from '../logplex/platform-event.js';
import { parsePlatformEvent } from '../logplex/platform-line.js';
import type { PartitionAggregatorPort, RecordParser } from './partition-ports.js';

/**
 * The platform record kind of the runtime: a platform-topic record (a syslog line
 * of APP-NAME `heroku`, or app output with DRAIN_APP_OUTPUT=platform) and the app it
 * belongs to. Platform lines do not name their app (docs/dyno-metrics.md, "Which
 * app?"), so the app comes from the record, in this order:
 *
 *   1. the `app` header, stamped by the drain (DRAIN_TOKEN_APPS, or learned from the
 *      router lines posted under the same drain token: ingest/drain-token-apps.ts)
 *   2. DRAIN_TOKEN_APPS[the `logplex-drain-token` header] (records from a drain
 *      that did not know it yet)
 *   3. '' : recorded under `-` and counted as `unknown_app`
 *
 *   headers: logplex-drain-token: d.6b1f0e2a-…   app: quiet-reef-12345.herokuapp.com
 *   value:   <45>1 2026-01-01T00:00:20.000000+00:00 host heroku web.1 - source=web.1 dyno=heroku.2808254.d97d0ea7-… sample#memory_total=180.43MB …
 */
export interface PlatformRecord {
  /** the app (router `host=`), or '' when unknown */
  app: string;
  event: PlatformEvent;
}

export function createPlatformRecord(): PlatformRecord {
  return { app: '', event: createPlatformEvent() };
}

const APP_HEADER = Buffer.from(RECORD_HEADERS.app);
const TOKEN_HEADER = Buffer.from(RECORD_HEADERS.drainToken);
const range = createByteRange();

/** A header's value as a string ('' when absent or null), read in place in the fetched bytes. */
export function headerText(buf: Buffer, view: RecordView, name: Uint8Array): string {
  if (!findRecordHeader(buf, view.headersStart, view.headersEnd, name, range) || range.isNull) return '';
  return buf.toString('utf8', range.start, range.end);
}

/** The app of a platform record: its `app` header, else the token map, else ''. */
export function resolvePlatformApp(
  buf: Buffer,
  view: RecordView,
  tokenApps: ReadonlyMap<string, string>,
): string {
  const stamped = headerText(buf, view, APP_HEADER);
  if (stamped !== '') return stamped;
  if (tokenApps.size === 0) return '';
  return tokenApps.get(headerText(buf, view, TOKEN_HEADER)) ?? '';
}

/** The platform kind's parser: the line with `parsePlatformEvent`, the app from the headers. */
export function platformRecordParser(tokenApps: ReadonlyMap<string, string>): RecordParser<PlatformRecord> {
  return (buf, start, end, view, out) => {
    if (!parsePlatformEvent(buf, start, end, out.event)) return false;
    out.app = resolvePlatformApp(buf, view, tokenApps);
    return true;
  };
}

/** What a platform partition's drain carries: the dyno actors' drain and the unknown-app count. */
export interface PlatformPartitionDrain extends PlatformDrain {
  /** records recorded under the unknown app `-` */
  unknownApp: number;
}

/**
 * The dyno actors of one platform partition behind the runtime's aggregator port:
 * `PlatformAggregator` (pure, src/actors) plus the count of records whose app was unknown.
 */
export class PlatformPartitionAggregator
  implements PartitionAggregatorPort<PlatformRecord, PlatformPartitionDrain>
{
  private readonly actors: PlatformAggregator;
  private unknownApp = 0;

  constructor(options: PlatformAggregatorOptions) {
    this.actors = new PlatformAggregator(options);
    this.actors.restoreWatermark(options.watermarkMs ?? null);
  }

  record(r: PlatformRecord): void {
    if (r.app === '') this.unknownApp++;
    this.actors.record(r.app, r.event);
  }

  drain(): PlatformPartitionDrain {
    const drained = { ...this.actors.drain(), unknownApp: this.unknownApp };
    this.unknownApp = 0;
    return drained;
  }

  get activeRoutes(): number {
    return this.actors.trackedDynos;
  }

  /** an upper bound of the windows held: each record opens at most one */
  get openWindows(): number {
    return this.actors.pendingRecords;
  }
}
