import type { IHeaders, Message, TopicMessages } from 'kafkajs';

/**
 * The records of one drain request, as offsets into its body: what crosses from the
 * HTTP thread to the producer thread (the body's memory is transferred, not copied).
 *
 *   records: Int32Array, RECORD_INTS per record
 *     [topic, start, end, keyStart, keyEnd]
 *     topic      TOPIC_ROUTER | TOPIC_PLATFORM
 *     start,end  the syslog line in `body` (no octet count, no trailing \n)
 *     keyStart   offset of the key in `body`,
 *                or KEY_DRAIN_TOKEN (the key is the drain token),
 *                or ≤ KEY_IN_KEYS: the key is `keys[KEY_IN_KEYS − keyStart, keyEnd)` (a hot app's
 *                `host#s` key, written by the drain: ingest/hot-app-keys.ts)
 */
export const RECORD_INTS = 5;
export const TOPIC_ROUTER = 0;
export const TOPIC_PLATFORM = 1;
export const KEY_DRAIN_TOKEN = -2;
export const KEY_IN_KEYS = -3;

/** keyStart of a key at `offset` in the slab's `keys` */
export function keyInKeys(offset: number): number {
  return KEY_IN_KEYS - offset;
}

/** Header names of every record (docs/kafka-records.md). */
export const RECORD_HEADERS = {
  drainToken: 'logplex-drain-token',
  frameId: 'logplex-frame-id',
  receivedAt: 'received-at-ms',
  /**
   * platform records only, when the drain knows the app of their drain token
   * (DRAIN_TOKEN_APPS, or learned from the router lines posted under it:
   * ingest/drain-token-apps.ts); the router line's `host=`
   */
  app: 'app',
} as const;

export interface RecordSlab {
  body: Uint8Array;
  records: Int32Array;
  count: number;
  /** keys that are not in the body (hot apps' `host#s`), null when there are none */
  keys: Uint8Array | null;
  drainToken: string;
  frameId: string;
  receivedAtMs: number;
  /** the app of this request's platform records (the `app` header), or '' when unknown */
  app?: string;
}

/**
 * The slab's body as memory that can be transferred to another thread: a body that
 * shares its ArrayBuffer (Node's pool for small Buffers) is copied first.
 */
export function ownBody(slab: RecordSlab): ArrayBuffer {
  const b = slab.body;
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer)
    return b.buffer;
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  slab.body = copy;
  return copy.buffer;
}

/** kafkajs messages for a list of slabs, grouped by topic (views into the bodies, no copy). */
export function slabsToTopicMessages(
  slabs: readonly RecordSlab[],
  routerTopic: string,
  platformTopic: string | null,
): TopicMessages[] {
  const router: Message[] = [];
  const platform: Message[] = [];
  for (const slab of slabs) {
    const body = Buffer.from(slab.body.buffer, slab.body.byteOffset, slab.body.byteLength);
    // Values as Buffers, encoded once per request: kafkajs would otherwise encode the
    // same strings again for every record.
    const token = Buffer.from(slab.drainToken);
    const headers: IHeaders = {
      [RECORD_HEADERS.drainToken]: token,
      [RECORD_HEADERS.frameId]: Buffer.from(slab.frameId),
      [RECORD_HEADERS.receivedAt]: Buffer.from(String(slab.receivedAtMs)),
    };
    // Platform lines do not name their app: their records carry it as a header when the
    // drain knows it. One more headers object per request (the encoder caches per object).
    const platformHeaders: IHeaders =
      slab.app !== undefined && slab.app !== ''
        ? { ...headers, [RECORD_HEADERS.app]: Buffer.from(slab.app) }
        : headers;
    const r = slab.records;
    const keys =
      slab.keys === null ? null : Buffer.from(slab.keys.buffer, slab.keys.byteOffset, slab.keys.byteLength);
    for (let i = 0; i < slab.count; i++) {
      const o = i * RECORD_INTS;
      const keyStart = r[o + 3]!;
      const key =
        keyStart >= 0
          ? body.subarray(keyStart, r[o + 4])
          : keyStart === KEY_DRAIN_TOKEN
            ? token.length > 0
              ? token
              : null
            : keys!.subarray(KEY_IN_KEYS - keyStart, r[o + 4]);
      const value = body.subarray(r[o + 1], r[o + 2]);
      if (r[o] === TOPIC_ROUTER) router.push({ key, value, headers });
      else platform.push({ key, value, headers: platformHeaders });
    }
  }
  const out: TopicMessages[] = [];
  if (router.length > 0) out.push({ topic: routerTopic, messages: router });
  if (platform.length > 0 && platformTopic !== null) out.push({ topic: platformTopic, messages: platform });
  return out;
}
