import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The longest integration files first. On a clean clone vitest has no timings yet and orders
 * files by size, so the solution bots (tiny files, the longest runs) started last and ran on
 * alone at the end: CI on 2026-12-03 spent its last 7 minutes on one of them.
 *
 * The browser tests share the two workers but run one at a time (test/e2e/one-at-a-time.ts),
 * so they are spread out among the shorter integration files: two of them side by side would
 * leave one worker waiting on the other's lock. Run last and alone, they were 5.6 minutes of
 * one worker idle.
 */
const LONGEST_FIRST = [/labs-solutions-\d/, /labs-services/, /labs-policy-trouble/, /labs-bgp/];
const isBrowserTest = (file: TestSpecification) => /[/\\]test[/\\]e2e[/\\]/.test(file.moduleId);

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = LONGEST_FIRST.findIndex((pattern) => pattern.test(file.moduleId));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    const ordered = sorted.map((file, index) => ({ file, index })).sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index).map(({ file }) => file);
    const browser = ordered.filter(isBrowserTest);
    const others = ordered.filter((file) => !isBrowserTest(file));
    const long = others.filter((file) => rank(file) < LONGEST_FIRST.length);
    const rest = others.filter((file) => rank(file) === LONGEST_FIRST.length);
    // After the long files, one browser test every `gap` other files.
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
