/**
 * A sleep that ends early when something happens: the dispatcher waits for a
 * request's due time, a token, a free slot or a new record, whichever comes
 * first, without polling.
 */
export class Wakeup {
  private waiters = new Set<() => void>();

  notify(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }

  /** resolves after `ms` (Infinity = only on notify) or on the next notify() */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      if (Number.isFinite(ms)) timer = setTimeout(done, Math.max(0, ms));
    });
  }
}
