/**
 * Failed drain authentication, throttled per client address and logged in aggregate.
 *
 *   failure(addr, reason) ─▶ count in the current minute for addr
 *   throttled(addr)       ─▶ true once addr has `maxFailuresPerMinute` failures this minute:
 *                            the drain answers 429 without checking credentials, so guessing
 *                            stops paying; logplex (good credentials, other address) is untouched
 *   every `logIntervalMs` ─▶ ONE log line with the counts (failures by reason, throttled requests,
 *                            addresses, the busiest few), never one line per request
 *
 * Counting windows are fixed minutes; at most `maxAddresses` addresses are tracked per
 * minute (a flood from many addresses cannot grow the map; past it, failures are still
 * counted in the summary but not per address).
 */
export interface AuthThrottleOptions {
  maxFailuresPerMinute: number;
  /** one summary log line per interval (default 10 s) */
  logIntervalMs?: number;
  maxAddresses?: number;
  /** where the summary goes (the drain's pino logger, bound to warn) */
  log: (summary: AuthFailureSummary) => void;
  now?: () => number;
}

export interface AuthFailureSummary {
  event: 'drain.auth_refused';
  intervalMs: number;
  failures: Record<string, number>;
  throttled: number;
  addresses: number;
  top: Array<{ address: string; failures: number }>;
}

const MINUTE_MS = 60_000;

export class AuthThrottle {
  readonly #opts: Required<Omit<AuthThrottleOptions, 'now'>> & { now: () => number };
  #minute = -1;
  #perAddress = new Map<string, number>();
  // the summary of the current log interval
  #failures: Record<string, number> = {};
  #throttled = 0;
  #intervalAddresses = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: AuthThrottleOptions) {
    this.#opts = {
      logIntervalMs: 10_000,
      maxAddresses: 10_000,
      now: Date.now,
      ...opts,
    };
    this.#timer = setInterval(() => this.flushLog(), this.#opts.logIntervalMs);
    this.#timer.unref();
  }

  /** true when `address` has spent its failures for this minute */
  throttled(address: string): boolean {
    this.#roll();
    if ((this.#perAddress.get(address) ?? 0) < this.#opts.maxFailuresPerMinute) return false;
    this.#throttled++;
    this.#note(address);
    return true;
  }

  failure(address: string, reason: string): void {
    this.#roll();
    this.#failures[reason] = (this.#failures[reason] ?? 0) + 1;
    const n = this.#perAddress.get(address);
    if (n !== undefined) this.#perAddress.set(address, n + 1);
    else if (this.#perAddress.size < this.#opts.maxAddresses) this.#perAddress.set(address, 1);
    this.#note(address);
  }

  /** Writes the summary of the interval (if anything happened) and starts a new one. */
  flushLog(): void {
    const failures = Object.values(this.#failures).reduce((a, b) => a + b, 0);
    if (failures === 0 && this.#throttled === 0) return;
    const top = [...this.#intervalAddresses.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([address, n]) => ({ address, failures: n }));
    this.#opts.log({
      event: 'drain.auth_refused',
      intervalMs: this.#opts.logIntervalMs,
      failures: this.#failures,
      throttled: this.#throttled,
      addresses: this.#intervalAddresses.size,
      top,
    });
    this.#failures = {};
    this.#throttled = 0;
    this.#intervalAddresses = new Map();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.flushLog();
  }

  #note(address: string): void {
    const n = this.#intervalAddresses.get(address);
    if (n !== undefined) this.#intervalAddresses.set(address, n + 1);
    else if (this.#intervalAddresses.size < this.#opts.maxAddresses) this.#intervalAddresses.set(address, 1);
  }

  #roll(): void {
    const minute = Math.floor(this.#opts.now() / MINUTE_MS);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#perAddress = new Map();
    }
  }
}
