import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The longest files first, by what each took in the last full run (test/durations.json,
 * refreshed by scripts/test-durations.mjs; a new file counts as a minute). On a clean clone
 * vitest has no timings of its own and orders files by size, so the solution bots (tiny files,
 * the longest runs) started last and ran on alone at the end: CI on 2026-12-03 spent its last
 * 7 minutes on one of them.
 *
 * The browser tests share the two workers but run one at a time (test/e2e/one-at-a-time.ts),
 * so they are spread out among the shorter files: two of them side by side would leave one
 * worker waiting on the other's lock. Run last and alone, they were 5.6 minutes of one worker
 * idle.
 */
const DURATIONS: Record<string, number> = JSON.parse(readFileSync(new URL('./test/durations.json', import.meta.url), 'utf8'));
const secondsOf = (file: TestSpecification) => {
  const at = file.moduleId.lastIndexOf('/test/');
  return DURATIONS[file.moduleId.slice(at + 1)] ?? 60;
};
const isBrowserTest = (file: TestSpecification) => file.moduleId.includes('/test/e2e/');

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = [...(await super.sort(files))].sort((a, b) => secondsOf(b) - secondsOf(a));
    const browser = ordered.filter(isBrowserTest);
    const others = ordered.filter((file) => !isBrowserTest(file));
    // The longest fifth of the other files first; then a browser test every `gap` files.
    const long = others.slice(0, Math.ceil(others.length / 5));
    const rest = others.slice(long.length);
    const gap = Math.max(1, Math.floor(rest.length / Math.max(1, browser.length)));
    const mixed: TestSpecification[] = [...long];
    rest.forEach((file, index) => {
      if (index % gap === 0 && browser.length) mixed.push(browser.shift()!);
      mixed.push(file);
    });
    return [...mixed, ...browser];
  }
}

// Unit tests are pure TypeScript and fast. Integration tests boot real v86 nodes;
// each test file runs in its own worker process, two at a time on this machine.
export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirst },
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
        // The web lab in Debian's chromium. It runs its own v86 nodes, so one browser test at
        // a time, beside one integration file (see LongestFirst).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles: ['test/e2e/one-at-a-time.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // One retry: a terminal once stopped showing a typed command's end in CI (web.test.ts,
          // 2026-12-03) and passed in every run since. typeInTerminal logs the screen when it
          // waits in vain; the JSON report counts each retry (test-results/vitest.json).
          retry: 1,
          pool: 'forks',
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
