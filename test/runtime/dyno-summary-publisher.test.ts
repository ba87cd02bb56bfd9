import { describe, expect, it } from 'vitest';
import { emptyDynoSample } from '../../src/runtime/dyno-samples.js';
import { DynoSummaryPublisher } from '../../src/runtime/dyno-summary-publisher.js';
import type { DynoSample } from '../../src/runtime/protocol.js';
import { createLogger } from '../../src/telemetry/logger.js';

const sample = (dyno: string, atMs: number, totalMb: number): DynoSample => ({
  ...emptyDynoSample('a.herokuapp.com', 'web', dyno),
  memoryLastMs: atMs,
  memoryTotalMb: totalMb,
  memoryRssMb: totalMb - 1,
  memoryQuotaMb: 512,
});

function setup() {
  const sends: Array<Array<{ key: string; value: string }>> = [];
  let failNext = false;
  const publisher = new DynoSummaryPublisher({
    topic: 'summary',
    logger: createLogger('silent'),
    producer: {
      async send(r) {
        if (failNext) {
          failNext = false;
          throw new Error('broker down');
        }
        sends.push(r.messages);
      },
    },
  });
  return { publisher, sends, failNext: () => (failNext = true) };
}

describe('DynoSummaryPublisher', () => {
  it('sends the latest memory sample per dyno (by event time), keyed app/dyno, once per change', async () => {
    const t = setup();
    t.publisher.add([
      sample('web.1', 2000, 300),
      sample('web.2', 1000, 200),
      emptyDynoSample('a', 'web', 'web.3'),
    ]);
    t.publisher.add([sample('web.1', 1500, 999)]); // older than what it has: ignored
    t.publisher.add([sample('web.1', 3000, 310)]);
    await t.publisher.publish();
    expect(t.sends).toHaveLength(1);
    expect(t.sends[0]!.map((m) => [m.key, JSON.parse(m.value).totalMb, JSON.parse(m.value).atMs])).toEqual([
      ['a.herokuapp.com/web.1', 310, 3000],
      ['a.herokuapp.com/web.2', 200, 1000],
    ]);
    expect(JSON.parse(t.sends[0]![0]!.value)).toEqual({
      app: 'a.herokuapp.com',
      processType: 'web',
      dyno: 'web.1',
      atMs: 3000,
      totalMb: 310,
      rssMb: 309,
      swapMb: 0,
      quotaMb: 512,
    });
    await t.publisher.publish();
    expect(t.sends).toHaveLength(1); // nothing changed: nothing sent
  });

  it('keeps what a failed send carried for the next one, unless a newer sample replaced it', async () => {
    const t = setup();
    t.publisher.add([sample('web.1', 1000, 100), sample('web.2', 1000, 200)]);
    t.failNext();
    const failed = t.publisher.publish();
    t.publisher.add([sample('web.2', 2000, 250)]); // arrives while the send is in flight
    await failed;
    expect(t.publisher.pending).toBe(2);
    await t.publisher.stop();
    expect(t.sends.flat().map((m) => [m.key, JSON.parse(m.value).totalMb])).toEqual([
      ['a.herokuapp.com/web.2', 250],
      ['a.herokuapp.com/web.1', 100],
    ]);
  });
});
