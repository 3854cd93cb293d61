// Hints are a ladder (issue 16): the idea first, then where to look, then the command.
// A first hint that repeats the reference solution turns the lab into copy and paste.
import { describe, expect, it } from 'vitest';
import { loadLabs } from '../../../src/lab/load.js';

/** The labs whose lesson gives every command, so every step's hints climb in three rungs. */
const LADDER_LABS = ['01-netns-veth', '02-bridge', '03-cni-by-hand', '06-host-gw', '07-vxlan', '11-ipvs'];
/** Labs where only some steps are laddered so far. */
const LADDER_STEPS: Record<string, string[]> = { '09-clusterip': ['dnat'] };

const labs = loadLabs();
const folderOf = (source: string) => /labs\/([^/]+)\/lab\.md$/.exec(source.replaceAll('\\', '/'))?.[1] ?? source;

/** Solution lines long enough to be a real command, not `done` or `fi`. */
function solutionLines(solution: Record<string, string>): string[] {
  return Object.values(solution).flatMap((script) => script.split('\n').map((line) => line.trim()).filter((line) => line.length > 12));
}

const laddered = labs.flatMap((lab) => {
  const folder = folderOf(lab.source);
  const steps = LADDER_LABS.includes(folder) ? lab.steps : lab.steps.filter((step) => LADDER_STEPS[folder]?.includes(step.id));
  return steps.map((step) => ({ lab, folder, step }));
});

describe('hint ladders', () => {
  it('finds every listed lab and step', () => {
    const found = laddered.map(({ folder, step }) => `${folder} ${step.id}`);
    const wanted = [...LADDER_LABS.map((folder) => `${folder} `), ...Object.entries(LADDER_STEPS).flatMap(([folder, ids]) => ids.map((id) => `${folder} ${id}`))];
    expect(wanted.filter((want) => !found.some((name) => name.startsWith(want)))).toEqual([]);
  });

  for (const { lab, folder, step } of laddered) {
    it(`${folder} ${step.id}: the first hint gives the idea, not a line of the solution`, () => {
      const first = step.hints[0] ?? '';
      expect(solutionLines(step.solution).filter((line) => first.includes(line))).toEqual([]);
    });

    it(`${folder} ${step.id}: at least three rungs, as many in every translation`, () => {
      expect(step.hints.length).toBeGreaterThanOrEqual(3);
      for (const [locale, text] of Object.entries(lab.locales)) {
        expect({ locale, count: text.steps[step.id]?.hints.length }).toEqual({ locale, count: step.hints.length });
      }
    });
  }
});
