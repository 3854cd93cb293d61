// Per-student variants: one student's solution, typed into another student's lab, fails.
// (That every lab's own solution passes with its defaults and with other seeds is the
// solution bots' part, in labs-solutions-*.)
import { describe, expect, it } from 'vitest';
import { findLab } from '../../src/lab/load.js';
import { instantiateLab } from '../../src/lab/variables.js';
import { attempt, BOT_SEEDS, failedNames, withLab } from './lab-bots.js';

describe('lab variants', () => {
  it("vxlan: student A's solution, typed on student B's cluster, fails every step; then, on B's cluster reset, node3's MAC guessed from the other two fails both pings to pod-c, and a repair with another route layout passes", async () => {
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

      // The node3 challenge on B's cluster, reset to its start (one cluster for both tests: CI time).
      const challenge = b.steps.findIndex((step) => step.id === 'node3');
      await run.resetToStep(challenge);
      const { pods3 } = b.values as { pods3: string };
      const vtep = pods3.replace(/\.0\/24$/, '.0');
      const entries = (mac: string) => `ip route add ${pods3} via ${vtep} dev flannel.1 onlink\nip neigh add ${vtep} lladdr ${mac} dev flannel.1 nud permanent\nbridge fdb append ${mac} dev flannel.1 dst 10.0.0.13`;
      // Step 2's pattern with node3's MAC guessed from the other two, not read from its annotation:
      // the packets go out wrapped, to the right node, and node3's flannel.1 drops the frames.
      const guessed = entries('0a:58:0a:f4:03:00');
      await attempt(run, { node1: guessed, node2: guessed });
      const wrongMac = await run.checkStep(challenge);
      expect(failedNames(wrongMac)).toEqual(['pod-a reaches pod-c on node3', 'pod-b reaches pod-c on node3']);

      // Repaired in place on node1; on node2, another layout: a /32 route to node3's VTEP address,
      // and the pod CIDR via it with no onlink.
      const mac = 'ae:4d:19:6b:c2:37';
      await attempt(run, {
        node1: `ip neigh replace ${vtep} lladdr ${mac} dev flannel.1 nud permanent\nbridge fdb del 0a:58:0a:f4:03:00 dev flannel.1 dst 10.0.0.13\nbridge fdb append ${mac} dev flannel.1 dst 10.0.0.13`,
        node2: [
          `ip route del ${pods3}`,
          `ip neigh del ${vtep} dev flannel.1`,
          'bridge fdb del 0a:58:0a:f4:03:00 dev flannel.1 dst 10.0.0.13',
          `ip route add ${vtep}/32 dev flannel.1`,
          `ip route add ${pods3} via ${vtep}`,
          `ip neigh add ${vtep} lladdr ${mac} dev flannel.1`,
          `bridge fdb add ${mac} dev flannel.1 dst 10.0.0.13`,
        ].join('\n'),
      });
      expect(failedNames(await run.checkStep(challenge))).toEqual([]);
    });
  }, 600_000);
});
