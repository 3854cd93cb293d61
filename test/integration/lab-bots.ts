// What the lab tests share: a lab's cluster for the length of a test, grading an
// attempt at one step, and the solution-bot suite (untouched fails, reference passes).
import { expect, it } from 'vitest';
import { gradeLab, gradeStep, runCommands } from '../../src/harness/grader.js';
import { startLab } from '../../src/harness/run-lab.js';
import type { Lab } from '../../src/lab/types.js';

export async function withLab<T>(lab: Lab, body: (cluster: Awaited<ReturnType<typeof startLab>>) => Promise<T>): Promise<T> {
  const cluster = await startLab(lab);
  try {
    return await body(cluster);
  } finally {
    await cluster.down();
  }
}

/** Apply the solutions of steps before `step` (0-based, unless `earlier` is false), run `commands`, and grade that step. */
export async function gradeWith(lab: Lab, step: number, commands: Record<string, string>, earlier = true) {
  return withLab(lab, async (cluster) => {
    if (earlier) for (let i = 0; i < step; i++) await runCommands(cluster, lab.steps[i]!.solution, 'earlier solution');
    await runCommands(cluster, commands, 'the attempt');
    return gradeStep(lab, step, cluster);
  });
}

export const failedNames = (report: Awaited<ReturnType<typeof gradeWith>>) => report.checks.filter((c) => !c.passed).map((c) => c.name);

/** For each lab: the untouched cluster fails every step with useful messages, and the reference solution passes all checks. */
export function solutionBots(labs: Lab[]): void {
  for (const lab of labs) {
    it(`${lab.id}: fails untouched, saying what it expected and found, and passes with the reference solution`, async () => {
      const started = Date.now();
      await withLab(lab, async (cluster) => {
        const untouched = await gradeLab(lab, cluster);
        for (const step of untouched.steps) {
          expect(step.passed, `step ${step.id} must not pass untouched`).toBeLessThan(step.total);
          for (const check of step.checks.filter((c) => !c.passed)) {
            expect(check.expected.length).toBeGreaterThan(5);
            expect(check.found.length).toBeGreaterThan(3);
            expect(check.message).toContain('expected');
          }
          expect(step.hint, `step ${step.id} offers a hint`).toBeTruthy();
        }
        const solved = await gradeLab(lab, cluster, { solution: true });
        const failures = solved.steps.flatMap((s) => s.checks.filter((c) => !c.passed).map((c) => c.message));
        expect(failures).toEqual([]);
        expect(solved.score).toBe(1);
        console.log(`solution bot: ${lab.id} graded untouched in ${(untouched.durationMs / 1000).toFixed(1)} s, solved in ${(solved.durationMs / 1000).toFixed(1)} s, ${((Date.now() - started) / 1000).toFixed(1)} s with the cluster`);
      });
    });
  }
}
