// Per-student variants: one student's solution, typed into another student's lab, fails.
// (That every lab's own solution passes with its defaults and with other seeds is the
// solution bots' part, in labs-solutions-*.)
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { instantiateLab } from '../../src/lab/variables.js';
import { attempt, BOT_SEEDS, withLab } from './lab-bots.js';

describe('lab variants', () => {
  it("vxlan: student A's solution, typed on student B's cluster, fails every step; B's own passes there", async () => {
    const base = findLab('vxlan');
    const [a, b] = BOT_SEEDS.map((seed) => instantiateLab(base, seed)) as [typeof base, typeof base];
    // Seeds whose every value differs: the VNI and both pod CIDRs.
    for (const name of Object.keys(base.values)) expect(a.values[name], name).not.toBe(b.values[name]);
    await withLab(b, async (run) => {
      for (const step of a.steps) await attempt(run, step.solution);
      const copied = await run.grade();
      for (const step of copied.steps) expect(step.passed, `step ${step.id} with A's commands`).toBeLessThan(step.total);
      // The same cluster, reset, with B's own solution: the failures above are the values' doing.
      await run.resetToStep(0);
      const own = await run.grade({ solution: true });
      expect(own.score).toBe(1);
    });
  });
});
