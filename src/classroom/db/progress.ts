// The instructor's grid, made from the stored totals: per student, per lab, per step, the
// status (attempted, passed, verified), the counts, and whether the student looks stuck.
import { STUCK_FAILURES, STUCK_MS, type ClassInfo, type ClassView, type LabProgress, type StepProgress, type StudentRow } from '../protocol.js';
import type { ClassRecord, StepTotals, StudentRecord, VerifiedRecord } from './store.js';

/** What the server knows of a lab: its steps in order. */
export interface LabOutline {
  id: string;
  title: string;
  steps: { id: string; title: string }[];
}
export type LabCatalog = ReadonlyMap<string, LabOutline>;

const minutes = (ms: number) => Math.round(ms / 60_000);

export function classInfo(c: ClassRecord): ClassInfo {
  return { classId: c.classId, name: c.name, labs: c.labs, ...(c.deadline ? { deadline: c.deadline } : {}), createdAt: c.createdAt };
}

function labProgress(lab: string, totals: StepTotals[], verified: VerifiedRecord | undefined, outline: LabOutline | undefined, now: number): LabProgress {
  const steps: Record<string, StepProgress> = {};
  for (const t of totals) {
    const score = verified?.verified[t.stepId];
    const isVerified = !!score && score.total > 0 && score.passed === score.total;
    steps[t.stepId] = {
      status: isVerified ? 'verified' : t.passed ? 'passed' : 'attempted',
      attempts: t.attempts, failures: t.failures, firstAt: t.firstAt, lastAt: t.lastAt, hintsShown: t.hintsShown, timeOnStepMs: t.timeOnStepMs,
    };
  }
  // A step the server verified but the page never reported (the learner submitted without Check).
  for (const [stepId, score] of Object.entries(verified?.verified ?? {})) {
    if (!steps[stepId] && score.total > 0 && score.passed === score.total) {
      steps[stepId] = { status: 'verified', attempts: 0, failures: 0, firstAt: 0, lastAt: 0, hintsShown: 0, timeOnStepMs: 0 };
    }
  }
  const latest = totals.reduce<StepTotals | undefined>((a, b) => (!a || b.lastAt > a.lastAt ? b : a), undefined);
  if (!latest) return { steps, stuck: false };
  let current = latest;
  let since = latest.firstAt;
  let onCurrent = latest.timeOnStepMs;
  if (latest.passed) {
    // Passed: the learner is on the next step, since that pass, unless the lab is done.
    const order = outline?.steps.map((s) => s.id) ?? [];
    const next = order.indexOf(latest.stepId) < 0 ? undefined : order[order.indexOf(latest.stepId) + 1];
    if (!next) return { currentStepId: latest.stepId, steps, stuck: false };
    const reported = totals.find((t) => t.stepId === next);
    if (reported?.passed) return { currentStepId: next, steps, stuck: false };
    current = reported ?? { ...latest, stepId: next, failures: 0 };
    since = reported?.firstAt ?? latest.lastAt;
    onCurrent = reported?.timeOnStepMs ?? 0;
  }
  const failures = current.failures;
  const elapsed = Math.max(onCurrent, now - since);
  const reason = failures >= STUCK_FAILURES ? `${failures} failed attempts on step ${current.stepId}`
    : elapsed >= STUCK_MS ? `${minutes(elapsed)} minutes on step ${current.stepId} without a pass` : undefined;
  return { currentStepId: current.stepId, steps, stuck: !!reason, ...(reason ? { stuckReason: reason } : {}) };
}

export function studentRow(cls: ClassRecord, student: StudentRecord, totals: StepTotals[], verified: VerifiedRecord[], catalog: LabCatalog, now: number): StudentRow {
  const labs: Record<string, LabProgress> = {};
  for (const lab of cls.labs) {
    labs[lab] = labProgress(lab, totals.filter((t) => t.studentId === student.studentId && t.lab === lab),
      verified.find((v) => v.studentId === student.studentId && v.lab === lab), catalog.get(lab), now);
  }
  return { studentId: student.studentId, displayName: student.displayName, joinedAt: student.joinedAt, labs };
}

export function classView(cls: ClassRecord, students: StudentRecord[], totals: StepTotals[], verified: VerifiedRecord[], catalog: LabCatalog, now: number): ClassView {
  return { class: classInfo(cls), students: students.map((s) => studentRow(cls, s, totals, verified, catalog, now)) };
}
