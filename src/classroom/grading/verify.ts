// The server's findings next to the page's claims: the verified results per step in the
// shape the API returns (GET /api/submissions/:id `verified`), and every check the page
// claimed passed that the server did not find passing (`mismatches`).
import type { LabReport } from '../../harness/report.js';
import { resultId, type ClaimedStep } from './bundle.js';

export interface VerifiedStep {
  passed: number;
  total: number;
  results: { id: string; passed: boolean; message?: string }[];
}

export interface Mismatch { stepId: string; id: string }

export function verifiedSteps(report: LabReport): Record<string, VerifiedStep> {
  return Object.fromEntries(report.steps.map((step) => [step.id, {
    passed: step.passed,
    total: step.total,
    results: step.checks.map((check, index) => ({ id: resultId(check.name, index), passed: check.passed, ...(check.passed ? {} : { message: check.message }) })),
  }]));
}

/** Claimed passes the server did not find: a failing check, or one the step does not have. */
export function mismatches(claimed: Record<string, ClaimedStep>, verified: Record<string, VerifiedStep>): Mismatch[] {
  const found: Mismatch[] = [];
  for (const [stepId, step] of Object.entries(claimed)) {
    const server = new Map(verified[stepId]?.results.map((result) => [result.id, result.passed]));
    for (const result of step.results) {
      if (result.passed && server.get(result.id) !== true) found.push({ stepId, id: result.id });
    }
  }
  return found;
}
