// Reports of grading, and the forms a course pipeline can consume: JSON as it is, JUnit
// XML for CI systems, and plain text for a person at a terminal. Credit is per step; a
// check that could not run (a hung node, a timeout) fails with a message and `error`
// set, and the others still count.
import { hintFor } from '../lab/hints.js';
import type { Lab, Step } from '../lab/types.js';
import type { CheckResult } from '../checks/index.js';

export interface StepReport {
  id: string;
  title: string;
  checks: CheckResult[];
  passed: number;
  total: number;
  /** Share of this step's checks that passed, 0..1. */
  score: number;
  /** The hint to show next when the step is not done. */
  hint?: string;
}

export interface LabReport {
  lab: string;
  title: string;
  solutionApplied: boolean;
  steps: StepReport[];
  passed: number;
  total: number;
  /** Mean of the step scores, 0..1. */
  score: number;
  durationMs: number;
}

/** A step's results: its score, and the next hint (the failing check's own, with its node's values, before the step's). */
export function stepReport(lab: Lab, step: Step, checks: CheckResult[], attempt = 0): StepReport {
  const passed = checks.filter((c) => c.passed).length;
  const hint = hintFor(step, checks, lab.topology, attempt);
  return { id: step.id, title: step.title, checks, passed, total: checks.length, score: checks.length ? passed / checks.length : 1, ...(hint ? { hint } : {}) };
}

export function labReport(lab: Lab, steps: StepReport[], run: { solutionApplied: boolean; durationMs: number }): LabReport {
  const passed = steps.reduce((n, s) => n + s.passed, 0);
  const total = steps.reduce((n, s) => n + s.total, 0);
  return {
    lab: lab.id, title: lab.title, solutionApplied: run.solutionApplied, steps, passed, total,
    score: steps.length ? steps.reduce((sum, s) => sum + s.score, 0) / steps.length : 0,
    durationMs: run.durationMs,
  };
}

/** Checks that could not be judged because a node failed (crashed, hung, sent garbage). */
export function nodeFailures(report: LabReport): CheckResult[] {
  return report.steps.flatMap((step) => step.checks.filter((check) => check.error !== undefined));
}


const xml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 cannot carry most control characters, even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function toJson(report: LabReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function toJunit(reports: LabReport[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const suites = reports.flatMap((report) => report.steps.map((step) => {
    const errors = step.checks.filter((c) => c.error !== undefined).length;
    const failures = step.checks.filter((c) => !c.passed).length - errors;
    const time = step.checks.reduce((sum, c) => sum + c.durationMs, 0);
    const cases = step.checks.map((check) => {
      const head = `    <testcase classname="${xml(`${report.lab}.${step.id}`)}" name="${xml(check.name)}" time="${seconds(check.durationMs)}"`;
      if (check.passed) return `${head}/>`;
      // JUnit's own distinction: a failure is a wrong answer, an error is a check that could not run.
      if (check.error !== undefined) return `${head}>\n      <error message="${xml(check.message)}" type="node">${xml(`${check.error}\nat: ${check.at}`)}</error>\n    </testcase>`;
      const body = `expected: ${check.expected}\nfound: ${check.found}${check.hint ? `\nhint: ${check.hint}` : ''}\nat: ${check.at}`;
      return `${head}>\n      <failure message="${xml(check.message)}" type="${check.kind}">${xml(body)}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(`${report.lab}: ${step.title}`)}" tests="${step.total}" failures="${failures}" errors="${errors}" time="${seconds(time)}">\n${cases.join('\n')}\n  </testsuite>`;
  }));
  const tests = reports.reduce((n, r) => n + r.total, 0);
  const errors = reports.reduce((n, r) => n + nodeFailures(r).length, 0);
  const failures = reports.reduce((n, r) => n + r.total - r.passed, 0) - errors;
  const time = reports.reduce((n, r) => n + r.durationMs, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="podwire" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(time)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export function toText(report: LabReport): string {
  const lines = [`${report.title} (${report.lab})${report.solutionApplied ? ', with the reference solution' : ''}`];
  for (const step of report.steps) {
    lines.push(`  step ${step.id}: ${step.title}: ${step.passed}/${step.total}`);
    for (const check of step.checks) lines.push(`    ${check.passed ? 'ok  ' : check.error !== undefined ? 'ERROR' : 'FAIL'} ${check.passed ? check.name : check.message}`);
    if (step.hint) lines.push(`    hint: ${step.hint}`);
  }
  lines.push(`  score ${(report.score * 100).toFixed(0)}%: ${report.passed}/${report.total} checks passed in ${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
