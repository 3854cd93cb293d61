// The hint after a Check: the first failing check's own hint, with the values of the node
// it failed on, then the step's hints, one more per attempt.
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/checks/index.js';
import { fillHint, hintFor, hintValues } from '../../../src/lab/hints.js';
import { findLab } from '../../../src/lab/load.js';
import { parseLab } from '../../../src/lab/parse.js';

const lab = parseLab('labs/x/lab.md', `---
id: two
title: Two nodes
summary: x
level: beginner
time: 5 min
topology: { nodes: [{ name: node1 }, { name: node2, podCidr: 10.244.7.0/24 }] }
steps:
  - id: one
    checks:
      - { name: node1 has it, node: node1, link: { name: flannel.1 } }
      - { name: node2 has it, node: node2, link: { name: flannel.1 }, hint: "On {node}: local {address}, pods {podCidr} via {podGateway}; {unknown} and {\\"json\\": true} stay" }
    hints: ["General, on {node}", "Last"]
    solution: { node1: "true" }
---
## One

Text.
`);
const step = lab.steps[0]!;
const result = (index: number, passed: boolean): CheckResult => {
  const check = step.checks[index]!;
  return { name: check.name, kind: check.kind, node: check.node, passed, message: '', expected: '', found: '', at: check.at, durationMs: 1, ...(check.hint ? { hint: check.hint } : {}) };
};

describe('hints', () => {
  it('come from the failing check, with the values of its node', () => {
    const hint = hintFor(step, [result(0, true), result(1, false)], lab.topology);
    expect(hint).toBe('On node2: local 10.0.0.12, pods 10.244.7.0/24 via 10.244.7.1; {unknown} and {"json": true} stay');
  });

  it('go on to the step\'s hints, filled for the same node, and stay on the last', () => {
    const results = [result(0, true), result(1, false)];
    expect(hintFor(step, results, lab.topology, 1)).toBe('General, on node2');
    expect(hintFor(step, results, lab.topology, 2)).toBe('Last');
    expect(hintFor(step, results, lab.topology, 9)).toBe('Last');
  });

  it('take the step\'s hints in the learner\'s language when given', () => {
    expect(hintFor(step, [result(0, true), result(1, false)], lab.topology, 1, ['Allgemein, auf {node}'])).toBe('Allgemein, auf node2');
  });

  it('start with the step\'s hints when the failing check has none', () => {
    expect(hintFor(step, [result(0, false), result(1, false)], lab.topology)).toBe('General, on node1');
  });

  it('are not given when every check passed', () => {
    expect(hintFor(step, [result(0, true), result(1, true)], lab.topology)).toBeUndefined();
  });

  it('know each node\'s values from the topology', () => {
    expect(hintValues(lab.topology, 'node1')).toEqual({
      node: 'node1', address: '10.0.0.11', podCidr: '10.244.1.0/24', podNetwork: '10.244.1.0', podGateway: '10.244.1.1',
      gateway: '10.0.0.1', segment: 'lan', mac: '02:50:00:00:00:01',
    });
    expect(fillHint('{node}', undefined)).toBe('{node}');
  });

  it('in the vxlan lab, name node2\'s own address when only node2 lacks its device', () => {
    const vxlan = findLab('vxlan');
    const devices = vxlan.steps[0]!;
    const results = devices.checks.map((check): CheckResult => ({
      name: check.name, kind: check.kind, node: check.node, passed: check.node !== 'node2', message: '', expected: '', found: '', at: check.at, durationMs: 1,
    }));
    const hint = hintFor(devices, results, vxlan.topology)!;
    expect(hint).toContain('on node2');
    expect(hint).toContain('local 10.0.0.12');
    expect(hint).not.toContain('10.0.0.11');
  });
});
