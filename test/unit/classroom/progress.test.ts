// The instructor grid's rules on their own: which step a student is on, and when they are stuck.
import { describe, expect, it } from 'vitest';
import { studentRow } from '../../../src/classroom/db/progress.js';
import type { ClassRecord, StepTotals } from '../../../src/classroom/db/store.js';
import { STUCK_MS } from '../../../src/classroom/protocol.js';
import { mismatches } from '../../../src/classroom/grading/verify.js';
import { CATALOG } from './suite.js';

const cls: ClassRecord = { classId: 'c', name: 'C', labs: ['demo'], joinCodeHash: '', secretHash: '', createdAt: 0 };
const student = { studentId: 's', classId: 'c', displayName: 'Ada', tokenHash: '', joinedAt: 0 };
const totals = (stepId: string, t: Partial<StepTotals>): StepTotals => ({
  studentId: 's', lab: 'demo', stepId, stepIndex: 0, attempts: 1, failures: 1, passed: false, bestPassed: 0, total: 2,
  firstAt: 1000, lastAt: 1000, hintsShown: 0, timeOnStepMs: 0, ...t,
});
const demo = (steps: StepTotals[], now: number, verified = {}) =>
  studentRow(cls, student, steps, [{ studentId: 's', lab: 'demo', verified, mismatches: [] }], CATALOG, now).labs.demo!;

describe('class progress', () => {
  it('is not stuck before anything happened', () => {
    expect(demo([], 0)).toEqual({ steps: {}, stuck: false });
  });

  it('is stuck after 3 failed attempts on the current step, not after 2', () => {
    expect(demo([totals('one', { attempts: 2, failures: 2 })], 2000).stuck).toBe(false);
    expect(demo([totals('one', { attempts: 3, failures: 3 })], 2000)).toMatchObject({ currentStepId: 'one', stuck: true, stuckReason: '3 failed attempts on step one' });
  });

  it('is stuck after 10 minutes on a step without a pass, counted from the first check or the pass before', () => {
    expect(demo([totals('one', {})], 1000 + STUCK_MS - 1).stuck).toBe(false);
    expect(demo([totals('one', {})], 1000 + STUCK_MS)).toMatchObject({ stuck: true, stuckReason: '10 minutes on step one without a pass' });
    const passedOne = totals('one', { passed: true, failures: 0, lastAt: 5000 });
    // Step one passed at 5 s: the learner is on step two since then.
    expect(demo([passedOne], 5000 + STUCK_MS - 1)).toMatchObject({ currentStepId: 'two', stuck: false });
    expect(demo([passedOne], 5000 + STUCK_MS)).toMatchObject({ currentStepId: 'two', stuck: true });
    // The page's own time on the step counts too.
    expect(demo([totals('one', { timeOnStepMs: STUCK_MS })], 1000).stuck).toBe(true);
  });

  it('is never stuck once the last step passed, and shows verified steps', () => {
    const all = ['one', 'two', 'three'].map((id, i) => totals(id, { passed: true, failures: 0, lastAt: 1000 + i }));
    const row = demo(all, 10 * STUCK_MS, { one: { passed: 2, total: 2, results: [] }, two: { passed: 1, total: 2, results: [] } });
    expect(row).toMatchObject({ currentStepId: 'three', stuck: false });
    expect(Object.fromEntries(Object.entries(row.steps).map(([id, s]) => [id, s.status]))).toEqual({ one: 'verified', two: 'passed', three: 'passed' });
  });

  it('flags checks claimed passed that the server did not find passing', () => {
    const claimed = { one: { passed: 2, total: 2, results: [{ id: 'a', passed: true }, { id: 'b', passed: true }] }, two: { passed: 0, total: 1, results: [{ id: 'c', passed: false }] } };
    const verified = { one: { passed: 1, total: 2, results: [{ id: 'a', passed: true }, { id: 'b', passed: false }] } };
    expect(mismatches(claimed, verified)).toEqual([{ stepId: 'one', id: 'b' }]);
    expect(mismatches({ x: { passed: 1, total: 1, results: [{ id: 'z', passed: true }] } }, verified)).toEqual([{ stepId: 'x', id: 'z' }]);
  });
});
