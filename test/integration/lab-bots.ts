// What the lab tests share: a lab run for the length of a test, grading an attempt at
// one step, and the solution-bot suite (untouched fails, reference passes). All of it
// drives the lab through LabRun, as the CLI and the web app do.
import { expect, it } from 'vitest';
import type { LabRun } from '../../src/harness/lab-run.js';
import type { StepReport } from '../../src/harness/report.js';
import { withLab } from '../../src/harness/run-lab.js';
import type { Lab } from '../../src/lab/types.js';
import { instantiateLab } from '../../src/lab/variables.js';

export { withLab };

/** A step's index by its id, so that a step added before it does not shift what a test grades. */
export function stepIndex(lab: Lab, id: string): number {
  const index = lab.steps.findIndex((step) => step.id === id);
  if (index < 0) throw new Error(`lab ${lab.id} has no step '${id}' (it has: ${lab.steps.map((step) => step.id).join(', ')})`);
  return index;
}

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

/**
 * The seeds the solution bots try beside the defaults, for labs with variables: the first in
 * every run (`npm test`), all of them with PODWIRE_FULL=1 (`npm run test:full`).
 */
export const BOT_SEEDS = ['bots:student-1', 'bots:student-2'];
const FULL = process.env.PODWIRE_FULL === '1';
const botSeeds = (): string[] => (FULL ? BOT_SEEDS : BOT_SEEDS.slice(0, 1));


/** Untouched, each step fails (not every check passes), and every failing check says what it expected and found. */
function expectUntouchedFails(steps: readonly StepReport[]): void {
  for (const step of steps) {
    expect(step.passed, `step ${step.id} must not pass untouched`).toBeLessThan(step.total);
    for (const check of step.checks.filter((c) => !c.passed)) {
      expect(check.error, `${check.name}: a node failed`).toBeUndefined();
      expect(check.expected.length).toBeGreaterThan(5);
      expect(check.found.length).toBeGreaterThan(3);
      expect(check.message).toContain('expected');
    }
    expect(step.hint, `step ${step.id} offers a hint`).toBeTruthy();
  }
}

/** With the reference solutions, every check of every step passes. */
function expectSolved(steps: readonly StepReport[]): void {
  expect(steps.flatMap((s) => s.checks.filter((c) => !c.passed).map((c) => c.message))).toEqual([]);
  expect(steps.every((s) => s.passed === s.total)).toBe(true);
}

/**
 * Untouched, every step fails with useful messages (unless `untouched` is false); with the
 * reference solutions, every check passes. Says how long each grading took.
 */
async function failsUntouchedPassesSolved(run: LabRun, options: { untouched?: boolean } = {}): Promise<string> {
  if (run.kubeFromStep) return failsUntouchedPassesSolvedInOnePass(run, run.kubeFromStep, options);
  const untouched = options.untouched === false ? undefined : await run.grade();
  expectUntouchedFails(untouched?.steps ?? []);
  // The solutions run strict: a broken line in one fails here, naming the node and the line.
  const solved = await run.grade({ solution: true });
  expectSolved(solved.steps);
  expect(solved.score).toBe(1);
  return `${untouched ? `graded untouched in ${(untouched.durationMs / 1000).toFixed(1)} s, ` : ''}solved in ${(solved.durationMs / 1000).toFixed(1)} s`;
}

/**
 * The same for a lab whose control plane starts at a later step (kubernetes.fromStep), in one
 * pass so that it starts once: the steps before it are graded untouched as the lab opened;
 * each step from it on untouched as the learner reaches it (the solutions before it applied,
 * nothing of its own done), then with its solution.
 */
async function failsUntouchedPassesSolvedInOnePass(run: LabRun, from: number, options: { untouched?: boolean }): Promise<string> {
  const grading = options.untouched !== false;
  const untouched: StepReport[] = [];
  const solved: StepReport[] = [];
  let untouchedMs = 0;
  const started = Date.now();
  const timed = async (report: Promise<StepReport>) => { const at = Date.now(); const done = await report; untouchedMs += Date.now() - at; return done; };
  if (grading) for (let index = 0; index < from; index++) untouched.push(await timed(run.checkStep(index)));
  for (const [index, step] of run.lab.steps.entries()) {
    if (grading && index >= from) untouched.push(await timed(run.checkStep(index)));
    if (Object.keys(step.solution).length) await run.applySolutions(index + 1, { from: index });
    solved.push(await run.checkStep(index));
  }
  expectUntouchedFails(untouched);
  expectSolved(solved);
  return `${grading ? `graded untouched in ${(untouchedMs / 1000).toFixed(1)} s, ` : ''}solved in ${((Date.now() - started - untouchedMs) / 1000).toFixed(1)} s (one pass: the control plane starts at step ${from + 1})`;
}

/**
 * For each lab: the untouched cluster fails every step with useful messages, and the reference
 * solution passes all checks; for a lab with variables, with its defaults and then with each
 * bot seed's values, on the same cluster reset.
 */
export function solutionBots(labs: Lab[]): void {
  for (const lab of labs) {
    const seeds = lab.variables.length ? botSeeds() : [];
    // One retry: six emulated machines share two cores here, and a guest starved for a
    // minute has failed a check's timeout (fix-forwarding, nodeport) that passes alone. A
    // lab that is really broken fails both times; vitest's report counts the retry.
    it(`${lab.id}: fails untouched, saying what it expected and found, and passes with the reference solution${seeds.length ? ` (defaults and ${seeds.length} seed${seeds.length > 1 ? 's' : ''})` : ''}`, { timeout: 300_000 * (1 + seeds.length), retry: 1 }, async () => {
      let started = Date.now();
      await withLab(lab, async (run) => {
        const graded = await failsUntouchedPassesSolved(run);
        console.log(`solution bot: ${lab.id} ${graded}, ${((Date.now() - started) / 1000).toFixed(1)} s with the cluster`);
        for (const seed of seeds) {
          started = Date.now();
          const variant = instantiateLab(lab, seed);
          expect(variant.values, `seed ${seed} gives ${lab.id} values of its own`).not.toEqual(lab.values);
          // CI time: a seed's untouched cluster is graded only in the full run; its solution always.
          const seeded = await failsUntouchedPassesSolved(await run.switchTo(variant), { untouched: FULL });
          console.log(`solution bot: ${lab.id} seed ${seed} ${seeded}, ${((Date.now() - started) / 1000).toFixed(1)} s with the reset`);
        }
      });
    });
  }
}
