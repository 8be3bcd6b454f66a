import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    exclude: ['node_modules/**', 'data/**', '.tools/**'],
    // Integration tests start real servers (PostgreSQL, Temporal); two cores, so keep files few at once.
    fileParallelism: true,
    maxWorkers: 2,
    // Safety limits only (no timed assertions): integration tests start real servers on two busy cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
