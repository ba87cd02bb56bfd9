/**
 * Which apps (router `host=` values) a drain may write: an optional guard against a leaked
 * credential or a misconfigured drain filling Kafka and Redis with other apps' keys.
 *
 *   DRAIN_APPS="logplex=a.herokuapp.com|b.herokuapp.com;d.6a1c…=www.example.com"
 *     a request authenticated as user `logplex`, or carrying that drain token, may write
 *     those hosts (the union when both are listed); an identity not listed may write any host
 *   DRAIN_MAX_APPS_PER_DRAIN=N
 *     one drain (its Logplex-Drain-Token, or the user when there is none) writes at most N
 *     distinct hosts since the process started; lines of an N+1th host are refused
 *
 * A refused line is not produced and is counted (`app_not_allowed`, `app_cap`); the batch is
 * still answered 204 for the rest: a retry would carry the same lines.
 */
export type AppRefusal = 'app_not_allowed' | 'app_cap';
/** `host` in lower case, as the router line writes it */
export type AppCheck = (host: string) => AppRefusal | null;

/** Identities tracked for the cap; past this, new drains share one `other` budget. */
const MAX_TRACKED_DRAINS = 10_000;

export class DrainApps {
  readonly #allowed: Map<string, Set<string>>;
  readonly #cap: number;
  readonly #seen = new Map<string, Set<string>>();

  constructor(allowed: Map<string, Set<string>>, maxAppsPerDrain: number) {
    this.#allowed = allowed;
    this.#cap = maxAppsPerDrain;
  }

  /** null when neither a mapping nor a cap is configured (every host passes, nothing is checked) */
  forRequest(user: string | null, drainToken: string): AppCheck | null {
    if (this.#allowed.size === 0 && this.#cap === 0) return null;
    const byUser = user === null ? undefined : this.#allowed.get(user);
    const byToken = drainToken === '' ? undefined : this.#allowed.get(drainToken);
    const listed = byUser || byToken ? new Set([...(byUser ?? []), ...(byToken ?? [])]) : null;
    const seen = this.#cap > 0 ? this.#seenFor(drainToken !== '' ? drainToken : `user:${user ?? ''}`) : null;
    return (host) => {
      const h = host.toLowerCase();
      if (listed !== null && !listed.has(h)) return 'app_not_allowed';
      if (seen !== null && !seen.has(h)) {
        if (seen.size >= this.#cap) return 'app_cap';
        seen.add(h);
      }
      return null;
    };
  }

  #seenFor(identity: string): Set<string> {
    let set = this.#seen.get(identity);
    if (set) return set;
    const key = this.#seen.size < MAX_TRACKED_DRAINS ? identity : 'other';
    set = this.#seen.get(key) ?? new Set();
    this.#seen.set(key, set);
    return set;
  }
}
