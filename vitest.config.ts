import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'node-daemon/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Fault runs are `npm run test:fault`; their fast unit tests (`*.unit.test.ts`) run here too.
    exclude: ['test/fault/**/!(*.unit).test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
