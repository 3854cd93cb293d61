// LabRun on real nodes: facts shared until a command runs, a Check that reads the wire and
// takes nothing from it, save and restore.
import { describe, expect, it } from 'vitest';
import { withLab } from '../../src/harness/run-lab.js';
import type { LabRun } from '../../src/harness/lab-run.js';
import { findLab } from '../../src/lab/load.js';
import { parseLab } from '../../src/lab/parse.js';

describe('LabRun', () => {
  it('shares facts until a command runs, checks the wire without clearing it, and restores what it saved', async () => {
    const lab = findLab('vxlan');
    await withLab(lab, async (run) => {
      const first = run.facts('node1');
      expect(run.facts('node1')).toBe(first); // one gather, shared by whoever asks
      await run.applySolutions(2);
      expect(run.facts('node1')).not.toBe(first); // the solutions ran: gathered again

      const before = run.captureCursor();
      await run.exec('node1', 'ip netns exec pod-a ping -c 1 -W 1 10.244.2.2');
      const earlier = run.framesSince(before);
      expect(earlier.length).toBeGreaterThan(0);
      expect(earlier[0]).toMatchObject({ link: expect.any(String), from: expect.any(String), to: expect.any(String), seq: expect.any(Number) });

      const seen: number[] = [];
      const report = await run.checkStep(1, 0, (_, index) => seen.push(index));
      expect(report.checks.filter((c) => !c.passed).map((c) => c.message)).toEqual([]);
      expect(seen.sort()).toEqual(report.checks.map((_, i) => i));
      // The wire check read its own frames by cursor: the ones before it are all still there.
      const after = run.framesSince(before);
      expect(after.slice(0, earlier.length)).toEqual(earlier);
      expect(after.length).toBeGreaterThan(earlier.length);

      await run.exec('node1', 'ip link add marker type dummy');
      const states = await run.save();
      await run.exec('node1', 'ip link del marker');
      expect((await run.facts('node1')).netns[0]!.links.some((l) => l.name === 'marker')).toBe(false);
      await run.restore({ node1: states.node1! });
      expect((await run.facts('node1')).netns[0]!.links.some((l) => l.name === 'marker')).toBe(true);

      // Scripts run strict in the guest's bash too: the first failing line stops it and is named.
      await expect(run.apply({ node1: 'true\nip link set nosuchdev up\ntouch /tmp/after' }, 'a script'))
        .rejects.toThrow(/^a script failed on node1 at line 2: `ip link set nosuchdev up` \(exit 1\): Cannot find device "nosuchdev"/);
      expect((await run.exec('node1', 'test -e /tmp/after')).exitCode).toBe(1);
    });
  });

  it('resets to the states its setup left, without running the setup again, and opens the lab again from them', async () => {
    const base = findLab('netns-veth');
    // The setup leaves a mark of its own: the time it ran, in nanoseconds.
    const lab = { ...base, id: 'reuse-setup', setup: { node1: 'date +%s%N >> /root/setup-runs' } };
    const look = async (run: LabRun) => (await run.exec('node1', 'cat /root/setup-runs; ls /root')).stdout;
    let afterFirstReset = '';
    await withLab(lab, async (run) => {
      await run.exec('node1', 'touch /root/learner');
      await run.resetToStep(0); // runs the setup afresh and keeps the states it left
      afterFirstReset = await look(run);
      expect(afterFirstReset).toMatch(/^\d+\nsetup-runs\n$/);
      await run.exec('node1', 'touch /root/learner; ip link add marker type dummy');
      await run.resetToStep(0); // restores them: the learner's file and device are gone, and the setup did not run again
      expect(await look(run)).toBe(afterFirstReset);
      expect((await run.exec('node1', 'ip link show marker')).exitCode).not.toBe(0);
      await run.exec('node1', 'touch /root/learner');
      await run.resetNode('node1');
      expect(await look(run)).toBe(afterFirstReset);
    });
    await withLab(lab, async (run) => {
      expect(await look(run)).toBe(afterFirstReset);
    });
  });

  it('starts a control plane that begins at a later step (kubernetes.fromStep) only there, and stops it with a reset before that step', async () => {
    // One node, the first step plain Linux, the second with kubectl and the API.
    const lab = parseLab('labs/x/lab.md', `---
id: from-step
title: From a step
summary: A control plane from the second step
level: beginner
time: 5 min
topology:
  memoryMb: 256
  nodes:
    - name: node1
      podCidr: 10.244.1.0/24
setup:
  node1: |
    mkdir -p /etc/cni/net.d
    echo '{ "cniVersion": "1.0.0", "name": "podnet", "plugins": [ { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.244.1.0/24" }]] } } ] }' >/etc/cni/net.d/10-podnet.conflist
kubernetes:
  fromStep: objects
steps:
  - id: plain
    checks:
      - name: the marker is there
        node: node1
        command: cat /root/marker
        expect: { stdout: here }
    solution:
      node1: echo here >/root/marker
  - id: objects
    checks:
      - name: the ConfigMap is there
        node: node1
        object: { resource: configmaps, name: note, field: "data.text", equals: hello }
    solution:
      node1: kubectl create configmap note --from-literal=text=hello
---
Intro.

## Plain

Text.

## Objects

Text.
`);
    await withLab(lab, async (run) => {
      expect(run.kubeRunning, 'the first step runs without it').toBe(false);
      expect((await run.checkStep(0)).passed).toBe(0);
      expect(run.kubeRunning).toBe(false);
      expect(Object.keys(await run.save()), 'a save without it holds the nodes alone').toEqual(['node1']);
      await run.applySolutions(2);
      expect(run.kubeRunning, 'the second step\'s solution started it').toBe(true);
      expect((await run.checkStep(1)).checks.map((c) => c.passed)).toEqual([true]);
      expect(Object.keys(await run.save()).sort(), 'and a save holds its objects').toEqual(['@kube', 'node1']);
      await run.resetToStep(0);
      expect(run.kubeRunning, 'a reset to the first step stops it').toBe(false);
      expect((await run.exec('node1', 'cat /root/marker 2>&1; command -v kubectl >/dev/null && kubectl get configmaps 2>&1 | head -1')).stdout).not.toMatch(/here|note/);
      // Checking the second step starts it afresh: no ConfigMap yet.
      const fresh = await run.checkStep(1);
      expect(run.kubeRunning).toBe(true);
      expect(fresh.passed).toBe(0);
    });
  });
});
