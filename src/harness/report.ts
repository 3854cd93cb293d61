// Reports a course pipeline can consume: JSON as it is, JUnit XML for CI systems,
// and plain text for a person at a terminal.
import type { LabReport } from './grader.js';

const xml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  // XML 1.0 cannot carry most control characters, even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function toJson(report: LabReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function toJunit(reports: LabReport[]): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const suites = reports.flatMap((report) => report.steps.map((step) => {
    const failures = step.checks.filter((c) => !c.passed).length;
    const time = step.checks.reduce((sum, c) => sum + c.durationMs, 0);
    const cases = step.checks.map((check) => {
      const head = `    <testcase classname="${xml(`${report.lab}.${step.id}`)}" name="${xml(check.name)}" time="${seconds(check.durationMs)}"`;
      if (check.passed) return `${head}/>`;
      const body = `expected: ${check.expected}\nfound: ${check.found}${check.hint ? `\nhint: ${check.hint}` : ''}\nat: ${check.at}`;
      return `${head}>\n      <failure message="${xml(check.message)}" type="${check.kind}">${xml(body)}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(`${report.lab}: ${step.title}`)}" tests="${step.total}" failures="${failures}" errors="0" time="${seconds(time)}">\n${cases.join('\n')}\n  </testsuite>`;
  }));
  const tests = reports.reduce((n, r) => n + r.total, 0);
  const failures = reports.reduce((n, r) => n + r.total - r.passed, 0);
  const time = reports.reduce((n, r) => n + r.durationMs, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="podwire" tests="${tests}" failures="${failures}" time="${seconds(time)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export function toText(report: LabReport): string {
  const lines = [`${report.title} (${report.lab})${report.solutionApplied ? ', with the reference solution' : ''}`];
  for (const step of report.steps) {
    lines.push(`  step ${step.id}: ${step.title}: ${step.passed}/${step.total}`);
    for (const check of step.checks) lines.push(`    ${check.passed ? 'ok  ' : 'FAIL'} ${check.passed ? check.name : check.message}`);
    if (step.hint) lines.push(`    hint: ${step.hint}`);
  }
  lines.push(`  score ${(report.score * 100).toFixed(0)}%: ${report.passed}/${report.total} checks passed in ${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
