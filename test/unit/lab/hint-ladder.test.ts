// Hints are a ladder (issue 16): the idea first, then where to look, then the command
// (for the troubleshooting labs: the symptom to confirm, where to look, then the fix).
// A first hint that repeats the reference solution turns the lab into copy and paste.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabs } from '../../../src/lab/load.js';

const labs = loadLabs();
const folderOf = (source: string) => /labs\/([^/]+)\/lab\.md$/.exec(source.replaceAll('\\', '/'))?.[1] ?? source;

/** Every lab folder that ships (labs/NN-name/lab.md). */
const labsDir = join(import.meta.dirname, '../../../labs');
const shipped = readdirSync(labsDir).filter((name) => statSync(join(labsDir, name)).isDirectory() && readdirSync(join(labsDir, name)).includes('lab.md'));

/** Solution lines long enough to be a real command, not `done` or `fi`. */
function solutionLines(solution: Record<string, string>): string[] {
  return Object.values(solution).flatMap((script) => script.split('\n').map((line) => line.trim()).filter((line) => line.length > 12));
}

const steps = labs.flatMap((lab) => lab.steps.map((step) => ({ lab, folder: folderOf(lab.source), step })));

describe('hint ladders', () => {
  it('covers every shipped lab', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(18);
    const loaded = new Set(labs.map((lab) => folderOf(lab.source)));
    expect(shipped.filter((folder) => !loaded.has(folder))).toEqual([]);
  });

  for (const { lab, folder, step } of steps) {
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
