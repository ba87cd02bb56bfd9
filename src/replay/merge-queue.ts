/**
 * Records wait here between the Kafka consumer and the dispatcher: one FIFO per
 * partition (an app's lines are all in one partition, keyed by host, so FIFO per
 * partition keeps each app's order), and `shift()` takes the head with the
 * smallest event time across partitions: a k-way merge into event-time order that
 * never reorders an app's own lines, even when its router clocks disagree a little.
 */
export interface Queued {
  partition: number;
  eventMs: number;
}

export class MergeQueue<T extends Queued> {
  private readonly lanes = new Map<number, { items: T[]; head: number }>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    let lane = this.lanes.get(item.partition);
    if (!lane) {
      lane = { items: [], head: 0 };
      this.lanes.set(item.partition, lane);
    }
    lane.items.push(item);
    this.count++;
  }

  peek(): T | undefined {
    let best: T | undefined;
    for (const lane of this.lanes.values()) {
      const head = lane.items[lane.head];
      if (head !== undefined && (best === undefined || head.eventMs < best.eventMs)) best = head;
    }
    return best;
  }

  shift(): T | undefined {
    const best = this.peek();
    if (best === undefined) return undefined;
    const lane = this.lanes.get(best.partition)!;
    lane.head++;
    if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
      lane.items = lane.items.slice(lane.head);
      lane.head = 0;
    }
    this.count--;
    return best;
  }

  clear(): void {
    this.lanes.clear();
    this.count = 0;
  }
}
