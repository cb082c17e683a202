import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    pool: 'forks',
    // Two test files at a time. Vitest's default on this 2-core machine is one (cores - 1), but
    // most integration tests wait on child processes, ptys and servers rather than compute:
    // two at a time took the suite from about 17 to about 12 minutes. Every test picks its own
    // ports and temporary folders, so files do not collide.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
