// Per-student variants: one student's solution, typed into another student's lab, fails.
// (That every lab's own solution passes with its defaults and with other seeds is the
// solution bots' part, in labs-solutions-*.)
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { instantiateLab } from '../../src/lab/variables.js';
import { attempt, BOT_SEEDS, withLab } from './lab-bots.js';

describe('lab variants', () => {
  it("vxlan: student A's solution, typed on student B's cluster, fails every step", async () => {
    const base = findLab('vxlan');
    // B is the seed the solution bots pass with in every run, so B's own solution passes on B's cluster.
    const [b, a] = BOT_SEEDS.map((seed) => instantiateLab(base, seed)) as [typeof base, typeof base];
    // Seeds whose every value differs: the VNI and both pod CIDRs.
    for (const name of Object.keys(base.values)) expect(a.values[name], name).not.toBe(b.values[name]);
    await withLab(b, async (run) => {
      for (const step of a.steps) await attempt(run, step.solution);
      const copied = await run.grade();
      for (const step of copied.steps) expect(step.passed, `step ${step.id} with A's commands`).toBeLessThan(step.total);
      // The checks looked for B's VNI and found A's.
      const found = copied.steps.flatMap((s) => s.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.found}`)).join('\n');
      expect(found).toContain(`a VXLAN device with VNI ${b.values.vni}`);
      expect(found).toContain(`VNI ${a.values.vni}`);
      console.log(`variants: A's solution on B's cluster graded in ${(copied.durationMs / 1000).toFixed(1)} s`);
    });
  });
});
