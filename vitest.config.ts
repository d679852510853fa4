import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests that create interfaces or namespaces use unique names, so files run in parallel.
    pool: 'forks',
  },
});
