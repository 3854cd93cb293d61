// The server's findings beside the page's claims: a claimed pass the server did not find is
// a mismatch, whether the check failed or the step has no such check; a claimed failure is not.
import { describe, expect, it } from 'vitest';
import type { LabReport } from '../../../src/harness/report.js';
import { mismatches, verifiedSteps } from '../../../src/classroom/grading/verify.js';

const check = (name: string, passed: boolean) => ({ name, kind: 'netns', node: 'node1', passed, message: `${name || 'a check'}: ${passed ? 'ok' : 'not found'}`, expected: '', found: '', at: 'lab.md:1', durationMs: 1 });
const report: LabReport = {
  lab: 'netns-veth', title: 'Namespaces', solutionApplied: false, passed: 2, total: 4, score: 0.5, durationMs: 10,
  steps: [
    { id: 'namespaces', title: 'Namespaces', checks: [check('pod-a exists', true), check('', true)], passed: 2, total: 2, score: 1 },
    { id: 'cable', title: 'Cable', checks: [check('pod-a reaches pod-b', false), check('pod-b has an address', false)], passed: 0, total: 2, score: 0 },
  ],
};

describe('verified results', () => {
  it('names each result by its check, or by its place when the check has no name', () => {
    expect(verifiedSteps(report)).toEqual({
      namespaces: { passed: 2, total: 2, results: [{ id: 'pod-a exists', passed: true }, { id: 'check 2', passed: true }] },
      cable: { passed: 0, total: 2, results: [
        { id: 'pod-a reaches pod-b', passed: false, message: 'pod-a reaches pod-b: not found' },
        { id: 'pod-b has an address', passed: false, message: 'pod-b has an address: not found' },
      ] },
    });
  });

  it('flags claimed passes the server did not find, and nothing else', () => {
    const claimed = {
      namespaces: { passed: 2, total: 2, results: [{ id: 'pod-a exists', passed: true }, { id: 'check 2', passed: true }] },
      cable: { passed: 1, total: 2, results: [{ id: 'pod-a reaches pod-b', passed: true }, { id: 'pod-b has an address', passed: false }] },
      invented: { passed: 1, total: 1, results: [{ id: 'anything', passed: true }] },
    };
    expect(mismatches(claimed, verifiedSteps(report))).toEqual([
      { stepId: 'cable', id: 'pod-a reaches pod-b' },
      { stepId: 'invented', id: 'anything' },
    ]);
  });
});
