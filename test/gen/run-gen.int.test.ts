import { describe, expect, it } from 'vitest';
import { runGen } from '../../src/gen/run-gen.js';
import { useDrain } from '../ingest/drain-fixture.js';
import { topicMessageCount } from '../support/kafka.js';

describe('runGen against a real drain', () => {
  it('posts the requested lines in logplex batches at the requested rate; router lines reach Kafka', async () => {
    const drain = await useDrain({ DRAIN_APP_OUTPUT: 'platform' });
    const url = drain.url.replace('http://', 'http://logplex:s3cret@');
    const started = Date.now();
    const result = await runGen({
      url,
      rate: 2000,
      totalLines: 3000,
      batchLines: 100,
      concurrency: 4,
      seed: 5,
      progress: false,
    });
    const seconds = (Date.now() - started) / 1000;
    expect(result).toMatchObject({ lines: 3000, batches: 30, failedBatches: 0, failedLines: 0 });
    expect(seconds).toBeGreaterThan(1.2); // paced: 3000 lines at 2000/s
    expect(Object.keys(result.statuses)).toEqual(['204']);
    const router = await topicMessageCount(drain.routerTopic);
    const platform = await topicMessageCount(drain.platformTopic);
    expect(router + platform).toBe(3000);
    expect(router).toBeGreaterThan(2700);
  });

  it('retries 5xx with the same frame id and gives up on 4xx', async () => {
    const drain = await useDrain();
    const wrong = drain.url.replace('http://', 'http://logplex:wrong@');
    const result = await runGen({ url: wrong, rate: 0, totalLines: 200, progress: false, seed: 1 });
    expect(result).toMatchObject({ lines: 0, failedBatches: 2, retries: 0 });
    expect(result.statuses['401']).toBe(2);
    const down = await runGen({
      url: 'http://127.0.0.1:1/logs',
      rate: 0,
      totalLines: 100,
      progress: false,
      attempts: 3,
    });
    expect(down).toMatchObject({ lines: 0, failedBatches: 1, retries: 2 });
  });
});
