/**
 * Detects hot apps: an app whose share of this drain process's router records over the
 * last interval is at least `share` (and whose own rate is at least `minRate`) becomes
 * hot, and the drain then keys it `host#s` like a DRAIN_HOT_APPS app (hot-app-keys.ts,
 * docs/kafka-records.md "Hot apps").
 *
 *   request ─buildBatchRecords─▶ add(host, lines) once per distinct app of the request
 *                                    │  (space-saving counters, `capacity` apps at most)
 *   after the request ─tick(now)─▶ interval over? ─┬─ no  → nothing
 *                                                   └─ yes → per counted app, lower bound c:
 *        not hot, c ≥ share·N and c/s ≥ minRate          → hot   (onChange 'detected')
 *        hot,     c ≥ share/2·N and c/s ≥ minRate/2      → hold renewed
 *        hot,     hold not renewed for holdMs            → cold  (onChange 'released')
 *                                                   then the counters start again (N = 0)
 *
 * Why these choices:
 * - **Cheap on the hot path.** The request parser keeps the request's distinct hosts as byte
 *   ranges of the body (request-hosts.ts: a hash of the host's bytes, one string per distinct
 *   host per request) and calls `add` once per app per request, never per line. `add` is a
 *   Map lookup; the decision runs once per interval, after a request. Measured by
 *   bench/hot-app-detect.ts: +0.04–0.1 µs of CPU per router line with one app per request
 *   (a Heroku drain), +0.2 µs with ~30 apps interleaved per request, against ~0.3 µs for the
 *   parse and ~20 µs for the whole drain per line.
 * - **Bounded memory.** Space-saving (Metwally et al. 2005): `capacity` counters; an app not
 *   counted takes the slot of the least counted one and inherits its count as its error.
 *   Every app with more than N/capacity lines in the interval holds a slot, and a count
 *   overestimates by at most its error, so deciding on count − error never makes an app hot
 *   that was not. capacity ≥ 4/share keeps N/capacity well below the release share.
 *   Hot apps are capped at `maxHot` (at most 1/share can pass the share at once).
 * - **Sticky, with hysteresis.** Each switch moves an app's paths to other partitions (their
 *   order across the switch is lost, and the partitions' actors and Redis writes change), so
 *   it must be rare: an app is released only after `holdMs` in which it never kept half the
 *   share (and half the rate); an app near the threshold does not flap.
 * - **Local to this process.** Each drain process counts what it receives and decides on
 *   its own, so behind a load balancer drains may start (or stop) spreading an app at
 *   different times, and a restarted drain keys the app by host until it has seen an
 *   interval. That costs nothing in exactness: the runtime never reads keys (the app is
 *   the line's `host=`, router-line.ts), and the read side merges an app over every
 *   partition that indexes it (find-app-partitions.ts). The keys of a detected app are a
 *   fixed function of (host, shards, partitions), the same in every process.
 *
 * Pure: no clock, no I/O. The caller passes the time and acts on the changes (drain-server.ts
 * adds or removes the app's key table, logs and counts).
 */
export interface HotAppDetectorOptions {
  /** share of the interval's router records, 0 < share ≤ 1 */
  share: number;
  /** router records per second of the app (in this process) below which it is never hot */
  minRate: number;
  /** partitions a detected app is spread over (reported with the change) */
  shards: number;
  intervalMs: number;
  /** how long a hot app stays hot after it last kept half the share and half the rate */
  holdMs: number;
  /** apps counted at once (default max(64, ceil(4 / share))) */
  capacity?: number;
  /** hot apps at once (default ceil(2 / share)); more are logged, not spread */
  maxHot?: number;
  /** never reported: DRAIN_HOT_APPS apps, already spread by the operator */
  isExcluded?: (host: string) => boolean;
  onChange: (change: HotAppChange) => void;
}

export interface HotAppChange {
  kind: 'detected' | 'released' | 'capped';
  app: string;
  /** lower bound of the app's share of the interval's router records */
  share: number;
  /** lower bound of the app's router records per second over the interval */
  rate: number;
  shards: number;
}

interface HotState {
  /** when it last kept half the share and half the rate */
  lastKeptMs: number;
}

export class HotAppDetector {
  readonly #opts: HotAppDetectorOptions;
  readonly #capacity: number;
  readonly #maxHot: number;
  // Space-saving counters: slot i holds apps[i], counts[i], errors[i]; slots maps app → i.
  readonly #slots = new Map<string, number>();
  readonly #apps: string[] = [];
  readonly #counts: number[] = [];
  readonly #errors: number[] = [];
  #total = 0;
  #intervalStart: number;
  readonly #hot = new Map<string, HotState>();

  constructor(opts: HotAppDetectorOptions, nowMs: number) {
    this.#opts = opts;
    this.#capacity = opts.capacity ?? Math.max(64, Math.ceil(4 / opts.share));
    this.#maxHot = opts.maxHot ?? Math.ceil(2 / opts.share);
    this.#intervalStart = nowMs;
  }

  /** apps being counted (≤ capacity) */
  get counted(): number {
    return this.#slots.size;
  }

  /** apps hot now */
  get hotCount(): number {
    return this.#hot.size;
  }

  isHot(app: string): boolean {
    return this.#hot.has(app);
  }

  /** `lines` more router records of `app` */
  add(app: string, lines: number): void {
    this.#total += lines;
    const i = this.#slots.get(app);
    if (i !== undefined) {
      this.#counts[i]! += lines;
      return;
    }
    if (this.#apps.length < this.#capacity) {
      this.#slots.set(app, this.#apps.length);
      this.#apps.push(app);
      this.#counts.push(lines);
      this.#errors.push(0);
      return;
    }
    // Full: the least counted app gives up its slot; the newcomer may have had that many.
    let min = 0;
    for (let j = 1; j < this.#capacity; j++) if (this.#counts[j]! < this.#counts[min]!) min = j;
    this.#slots.delete(this.#apps[min]!);
    this.#slots.set(app, min);
    this.#apps[min] = app;
    this.#errors[min] = this.#counts[min]!;
    this.#counts[min]! += lines;
  }

  /** Decides once the interval is over; cheap to call after every request. */
  tick(nowMs: number): void {
    const elapsedMs = nowMs - this.#intervalStart;
    if (elapsedMs < this.#opts.intervalMs) return;
    const { share, minRate, holdMs, shards, onChange, isExcluded } = this.#opts;
    const seconds = elapsedMs / 1000;
    const total = this.#total;
    for (let i = 0; i < this.#apps.length; i++) {
      const app = this.#apps[i]!;
      const lower = this.#counts[i]! - this.#errors[i]!;
      const rate = lower / seconds;
      const part = total > 0 ? lower / total : 0;
      const state = this.#hot.get(app);
      if (state !== undefined) {
        if (part >= share / 2 && rate >= minRate / 2) state.lastKeptMs = nowMs;
        continue;
      }
      if (part < share || rate < minRate || isExcluded?.(app) === true) continue;
      const change: HotAppChange = { kind: 'detected', app, share: part, rate, shards };
      if (this.#hot.size >= this.#maxHot) {
        onChange({ ...change, kind: 'capped' });
        continue;
      }
      this.#hot.set(app, { lastKeptMs: nowMs });
      onChange(change);
    }
    for (const [app, state] of this.#hot) {
      // kept in this interval (always true of one detected just now), or held
      if (state.lastKeptMs === nowMs || nowMs - state.lastKeptMs < holdMs) continue;
      this.#hot.delete(app);
      const i = this.#slots.get(app);
      const lower = i === undefined ? 0 : this.#counts[i]! - this.#errors[i]!;
      onChange({
        kind: 'released',
        app,
        share: total > 0 ? lower / total : 0,
        rate: lower / seconds,
        shards,
      });
    }
    this.#slots.clear();
    this.#apps.length = 0;
    this.#counts.length = 0;
    this.#errors.length = 0;
    this.#total = 0;
    this.#intervalStart = nowMs;
  }
}
