import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';
import { scheduleOrder } from './test/schedule.js';

/** Seconds each file took in the last full run (a new file counts as a minute): see test/schedule.ts. */
const DURATIONS: Record<string, number> = JSON.parse(readFileSync(new URL('./test/durations.json', import.meta.url), 'utf8'));
const secondsOf = (file: TestSpecification) => DURATIONS[file.moduleId.slice(file.moduleId.lastIndexOf('/test/') + 1)] ?? 60;
const isBrowserTest = (file: TestSpecification) => file.moduleId.includes('/test/e2e/');
/**
 * The integration and browser tests share one group of this many workers. Not three: a CI
 * run with three (2026-12-04) kept the CPU 93 % busy instead of 72 %, but each file took
 * about 1.5 times as long, and the tests 2949 s against 3029 s with two: within the noise,
 * for guests more starved of CPU.
 */
const VM_WORKERS = 2;

/**
 * The unit tests first, the longest first (vitest's own order on a clean clone is by file size,
 * which started the second longest, 34 s of the agent's watchdog, half a minute in); then the
 * integration and browser tests, which share the same workers, in the order test/schedule.ts
 * works out from their last durations.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const unitTests = ordered.filter((file) => file.project.config.sequence.groupOrder !== 1);
    const vmTests = ordered.filter((file) => file.project.config.sequence.groupOrder === 1);
    const scheduled = scheduleOrder(vmTests.map((file) => ({ item: file, seconds: secondsOf(file), exclusive: isBrowserTest(file) })), VM_WORKERS);
    return [...unitTests.sort((a, b) => secondsOf(b) - secondsOf(a)), ...scheduled];
  }
}

// Unit tests are pure TypeScript and fast. Integration tests boot real v86 nodes;
// each test file runs in its own worker process, two at a time on this machine.
export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
          // More workers than cores: most of the unit tests' time is importing and waiting (the
          // agent's watchdog, kube's probe rounds). Four took 61 s on two cores (three runs),
          // vitest's default here 136 s, and the VM tests wait for them.
          maxWorkers: 4,
          // Each file in a fresh module graph took 24-45 s of the run's CPU importing the same
          // modules again; a worker's files share one (68 s to 43-51 s on two cores).
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          pool: 'forks',
          maxWorkers: VM_WORKERS,
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
          maxWorkers: VM_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
