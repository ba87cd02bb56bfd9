import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast; `integration` talks to the real Kafka and Redis
// brought up by `scripts/stack.sh up` (KAFKA_URL / REDIS_URL from .stack/env).
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print the plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.stack/vitest-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          setupFiles: ['test/support/load-stack-env.ts'],
        },
      },
    ],
  },
});
