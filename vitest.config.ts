import { defineConfig } from 'vitest/config';

// Unit tests are pure TypeScript and fast. Integration tests boot real v86 nodes;
// each test file runs in its own worker process, two at a time on this machine.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: 'forks',
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The web lab in Debian's chromium; it runs its own v86 nodes, so it goes alone, last.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // One retry: a terminal once stopped showing a typed command's end in CI (web.test.ts,
          // 2026-12-03) and passed in every run since. typeInTerminal logs the screen when it
          // waits in vain; the JSON report counts each retry (test-results/vitest.json).
          retry: 1,
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
