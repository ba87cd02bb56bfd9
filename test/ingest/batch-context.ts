import type { BatchContext } from '../../src/ingest/batch-records.js';

/** The request context the batch-building tests share (not a test file itself). */
export const TEST_BATCH_CONTEXT: BatchContext = {
  drainToken: 'd.abc',
  frameId: 'F00D',
  receivedAtMs: 1700000000000,
  appOutput: 'drop',
  platformTopic: true,
};
