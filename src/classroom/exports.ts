// A class's results for a grade book: CSV (one row per student), JSON (everything) and
// JUnit XML (one suite per student and lab, one case per step), from the instructor page
// (GET /api/classes/:id/export.*) and `podwire class export`.
import { stringify } from 'csv-stringify/sync';
import type { ClassInfo, Mismatch, StepScore } from './protocol.js';
import { classInfo, type LabCatalog } from './db/progress.js';
import type { ClassRecord, ClassStore, StepTotals, StudentRecord, VerifiedRecord } from './db/store.js';

export type ExportFormat = 'csv' | 'json' | 'junit';

export interface StepResult {
  /** The page's own Check, as reported: null when the student never checked this step. */
  selfReported: { passed: boolean; score: number; attempts: number; failures: number; hintsShown: number; timeOnStepMs: number } | null;
  /** The server's grading of the latest submission: null when none covers this step. */
  verified: StepScore | null;
}

export interface ClassExport {
  class: ClassInfo;
  exportedAt: string;
  /** Each lab's step ids, in order: the columns. */
  steps: Record<string, string[]>;
  students: {
    studentId: string;
    displayName: string;
    joinedAt: number;
    labs: Record<string, { steps: Record<string, StepResult>; minutes: number; mismatches: Mismatch[] }>;
  }[];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A lab's step ids: the lab's own order, then any step the reports name that the lab does not (an older version). */
function stepOrder(lab: string, catalog: LabCatalog, totals: StepTotals[], verified: VerifiedRecord[]): string[] {
  const ids = catalog.get(lab)?.steps.map((s) => s.id) ?? [];
  const seen = new Set(ids);
  for (const t of totals) if (t.lab === lab && !seen.has(t.stepId)) { seen.add(t.stepId); ids.push(t.stepId); }
  for (const v of verified) if (v.lab === lab) for (const id of Object.keys(v.verified)) if (!seen.has(id)) { seen.add(id); ids.push(id); }
  return ids;
}

function buildExport(cls: ClassRecord, students: StudentRecord[], totals: StepTotals[], verified: VerifiedRecord[], catalog: LabCatalog, now: number): ClassExport {
  const orders = new Map(cls.labs.map((lab) => [lab, stepOrder(lab, catalog, totals, verified)]));
  return {
    class: classInfo(cls),
    exportedAt: new Date(now).toISOString(),
    steps: Object.fromEntries(orders),
    students: students.map((student) => ({
      studentId: student.studentId,
      displayName: student.displayName,
      joinedAt: student.joinedAt,
      labs: Object.fromEntries(cls.labs.map((lab) => {
        const mine = totals.filter((t) => t.studentId === student.studentId && t.lab === lab);
        const graded = verified.find((v) => v.studentId === student.studentId && v.lab === lab);
        const steps = Object.fromEntries(orders.get(lab)!.map((stepId): [string, StepResult] => {
          const t = mine.find((m) => m.stepId === stepId);
          return [stepId, {
            selfReported: t ? {
              passed: t.passed, score: t.passed ? 1 : t.total ? round(t.bestPassed / t.total) : 0,
              attempts: t.attempts, failures: t.failures, hintsShown: t.hintsShown, timeOnStepMs: t.timeOnStepMs,
            } : null,
            verified: graded?.verified[stepId] ?? null,
          }];
        }));
        const minutes = round(mine.reduce((sum, t) => sum + t.timeOnStepMs, 0) / 60_000, 1);
        return [lab, { steps, minutes, mismatches: graded?.mismatches ?? [] }];
      })),
    })),
  };
}

const verifiedScore = (score: StepScore | null) => (score ? (score.total ? round(score.passed / score.total) : 1) : '');

function toCsv(data: ClassExport): string {
  const labs = data.class.labs;
  const stepsOf = (lab: string) => data.steps[lab] ?? [];
  const header = ['student', 'student id', 'joined'];
  for (const lab of labs) {
    for (const step of stepsOf(lab)) header.push(`${lab}/${step} self-reported`, `${lab}/${step} verified`);
    header.push(`${lab} minutes`, `${lab} mismatches`);
  }
  header.push('self-reported total', 'verified total');
  const rows = data.students.map((s) => {
    const row: (string | number)[] = [s.displayName, s.studentId, new Date(s.joinedAt).toISOString()];
    let self = 0;
    let checked = 0;
    for (const lab of labs) {
      const l = s.labs[lab]!;
      for (const step of stepsOf(lab)) {
        const r = l.steps[step]!;
        row.push(r.selfReported ? r.selfReported.score : '', verifiedScore(r.verified));
        self += r.selfReported?.score ?? 0;
        checked += r.verified ? verifiedScore(r.verified) as number : 0;
      }
      row.push(l.minutes, l.mismatches.map((m) => `${m.stepId}:${m.id}`).join(' '));
    }
    row.push(round(self), round(checked));
    return row;
  });
  return stringify([header, ...rows]);
}

function toJson(data: ClassExport): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

const xml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 has no place for most control characters: a display name must not break the file.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** One suite per student and lab; a step fails unless it passed (the verified result wins where there is one). */
function toJunit(data: ClassExport): string {
  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const s of data.students) {
    for (const [lab, l] of Object.entries(s.labs)) {
      const cases = Object.entries(l.steps).map(([stepId, r]) => {
        tests++;
        const head = `    <testcase classname="${xml(`${lab}.${s.studentId}`)}" name="${xml(stepId)}" time="${round((r.selfReported?.timeOnStepMs ?? 0) / 1000, 3)}"`;
        if (r.verified) {
          if (r.verified.passed === r.verified.total) return `${head}/>`;
          failures++;
          return `${head}>\n      <failure message="${xml(`verified: ${r.verified.passed} of ${r.verified.total} checks pass`)}" type="verified"/>\n    </testcase>`;
        }
        if (!r.selfReported) { failures++; return `${head}>\n      <failure message="not started" type="not-started"/>\n    </testcase>`; }
        if (r.selfReported.passed) return `${head}/>`;
        failures++;
        return `${head}>\n      <failure message="${xml(`self-reported: ${r.selfReported.failures} failed attempts, best score ${r.selfReported.score}`)}" type="self-reported"/>\n    </testcase>`;
      });
      const suiteFailures = cases.filter((c) => c.includes('<failure')).length;
      suites.push(`  <testsuite name="${xml(`${s.displayName}: ${lab}`)}" tests="${cases.length}" failures="${suiteFailures}">\n    <properties>\n      <property name="student" value="${xml(s.displayName)}"/>\n      <property name="studentId" value="${xml(s.studentId)}"/>\n      <property name="lab" value="${xml(lab)}"/>\n    </properties>\n${cases.join('\n')}\n  </testsuite>`);
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(data.class.name)}" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export const EXPORT_TYPES: Record<ExportFormat, { contentType: string; extension: string; render(data: ClassExport): string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv', render: toCsv },
  json: { contentType: 'application/json; charset=utf-8', extension: 'json', render: toJson },
  junit: { contentType: 'application/xml; charset=utf-8', extension: 'xml', render: toJunit },
};

/** Reads everything a class export needs from the store. */
export async function exportClass(store: ClassStore, cls: ClassRecord, catalog: LabCatalog, format: ExportFormat, now = Date.now()): Promise<string> {
  const [students, totals, verified] = await Promise.all([store.students(cls.classId), store.stepTotals(cls.classId), store.latestVerified(cls.classId)]);
  return EXPORT_TYPES[format].render(buildExport(cls, students, totals, verified, catalog, now));
}
