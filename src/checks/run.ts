// Running one check: its kind judges, and whatever happens it comes back as a result.
import type { CheckContext } from './context.js';
import type { AnyCheck, Outcome } from './kind.js';
import { checkKind, type Check } from './registry.js';

export interface CheckResult {
  name: string;
  kind: string;
  node: string;
  passed: boolean;
  /** One line: what was expected, and what was found instead. */
  message: string;
  expected: string;
  found: string;
  hint?: string;
  at: string;
  durationMs: number;
  /** Set when the check could not be judged because the node failed (crashed, hung, answered garbage). */
  error?: string;
}

/**
 * Run one check. It never throws: a hung or crashed node is a failed check that says so,
 * with `error` set, so a grader can tell "the answer is wrong" from "the node failed".
 */
export async function runCheck(check: Check | AnyCheck, context: CheckContext): Promise<CheckResult> {
  const started = Date.now();
  const common = { name: check.name, kind: check.kind, node: check.node, ...(check.hint ? { hint: check.hint } : {}), at: check.at };
  const kind = checkKind(check.kind);
  let outcome: Outcome;
  try {
    if (!kind) throw new Error(`there is no check kind '${check.kind}'`);
    outcome = await kind.evaluate(check, context);
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown.message : String(thrown);
    return {
      ...common, passed: false, message: `${check.name}: could not be checked on ${check.node}: ${error}`,
      expected: check.name, found: error, durationMs: Date.now() - started, error,
    };
  }
  return {
    ...common, passed: outcome.passed,
    message: outcome.passed ? `${check.name}: ok` : `${check.name}: expected ${outcome.expected}, found ${outcome.found}`,
    expected: outcome.expected, found: outcome.found, durationMs: Date.now() - started,
  };
}
