import { defineConfig } from 'vitest/config';

/** Long fault-injection runs (many kill -9 cycles, soak); `npm run test:fault`. */
export default defineConfig({
  test: {
    include: ['test/fault/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
