// What the lab tests share: a lab run for the length of a test, grading an attempt at
// one step, and the solution-bot suite (untouched fails, reference passes). All of it
// drives the lab through LabRun, as the CLI and the web app do.
import { expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import { withLab } from '../../src/harness/run-lab.js';
import type { Lab } from '../../src/lab/types.js';

export { withLab };

/** Apply the solutions of steps before `step` (0-based, unless `earlier` is false), run `commands` as a learner would, and grade that step. */
export async function gradeWith(lab: Lab, step: number, commands: Record<string, string>, earlier = true) {
  return withLab(lab, async (run) => {
    if (earlier) await run.applySolutions(step);
    await run.apply(commands, 'the attempt', { strict: false });
    return run.checkStep(step);
  });
}

/** A learner's attempt on a running lab: commands as typed (a failing line does not stop the rest). */
export const attempt = (run: LabRun, commands: Record<string, string>) => run.apply(commands, 'the attempt', { strict: false });

export const failedNames = (report: Awaited<ReturnType<typeof gradeWith>>) => report.checks.filter((c) => !c.passed).map((c) => c.name);

/** For each lab: the untouched cluster fails every step with useful messages, and the reference solution passes all checks. */
export function solutionBots(labs: Lab[]): void {
  for (const lab of labs) {
    it(`${lab.id}: fails untouched, saying what it expected and found, and passes with the reference solution`, async () => {
      const started = Date.now();
      await withLab(lab, async (run) => {
        const untouched = await run.grade();
        for (const step of untouched.steps) {
          expect(step.passed, `step ${step.id} must not pass untouched`).toBeLessThan(step.total);
          for (const check of step.checks.filter((c) => !c.passed)) {
            expect(check.error, `${check.name}: a node failed`).toBeUndefined();
            expect(check.expected.length).toBeGreaterThan(5);
            expect(check.found.length).toBeGreaterThan(3);
            expect(check.message).toContain('expected');
          }
          expect(step.hint, `step ${step.id} offers a hint`).toBeTruthy();
        }
        // The solutions run strict: a broken line in one fails here, naming the node and the line.
        const solved = await run.grade({ solution: true });
        const failures = solved.steps.flatMap((s) => s.checks.filter((c) => !c.passed).map((c) => c.message));
        expect(failures).toEqual([]);
        expect(solved.score).toBe(1);
        console.log(`solution bot: ${lab.id} graded untouched in ${(untouched.durationMs / 1000).toFixed(1)} s, solved in ${(solved.durationMs / 1000).toFixed(1)} s, ${((Date.now() - started) / 1000).toFixed(1)} s with the cluster`);
      });
    });
  }
}
