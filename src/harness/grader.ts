// Grading a lab on a running cluster: set it up, optionally apply the reference
// solution, and run each step's checks. Credit is per step; a check that cannot
// run (a hung node, a timeout) fails with a message and the others still run.
import type { Lab, NodeCommands } from '../lab/types.js';
import type { ExecOptions, ExecResult } from '../vm/agent-client.js';
import { FactsCache, runCheck, type CheckResult, type CheckTarget } from './checks.js';

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

/** What grading needs of a cluster: run a command on a node, and see the wire. */
export interface GradingCluster {
  node(name: string): { exec(command: string, options?: ExecOptions): Promise<ExecResult> };
  clearCaptures(): void;
  capturedFrames(): ReturnType<CheckTarget['capturedFrames']>;
}

export class SetupError extends Error {}

/** Run per-node commands (setup or a solution) in parallel, one script per node. */
export async function runCommands(cluster: GradingCluster, commands: NodeCommands, what: string): Promise<void> {
  await Promise.all(Object.entries(commands).map(async ([node, script]) => {
    const result = await cluster.node(node).exec(script, { timeout: 120 });
    if (result.exitCode !== 0) {
      throw new SetupError(`${what} failed on ${node} (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    }
  }));
}

export function targetOf(cluster: GradingCluster): CheckTarget {
  return {
    exec: (node, command, options) => cluster.node(node).exec(command, options),
    clearCaptures: () => cluster.clearCaptures(),
    capturedFrames: () => cluster.capturedFrames(),
  };
}

/** Grade one step as it stands on the cluster now. `attempt` picks which hint comes next. */
export async function gradeStep(lab: Lab, stepIndex: number, cluster: GradingCluster, attempt = 0): Promise<StepReport> {
  const step = lab.steps[stepIndex];
  if (!step) throw new Error(`lab ${lab.id} has no step ${stepIndex + 1} (it has ${lab.steps.length})`);
  const target = targetOf(cluster);
  const facts = new FactsCache(target);
  const checks: CheckResult[] = [];
  // Wire checks clear the capture, so they run one at a time; the rest may share facts.
  for (const check of step.checks) checks.push(await runCheck(check, target, facts));
  const passed = checks.filter((c) => c.passed).length;
  const firstFailure = checks.find((c) => !c.passed);
  const hint = firstFailure ? firstFailure.hint ?? step.hints[Math.min(attempt, step.hints.length - 1)] : undefined;
  return { id: step.id, title: step.title, checks, passed, total: checks.length, score: checks.length ? passed / checks.length : 1, ...(hint ? { hint } : {}) };
}

export interface GradeOptions {
  /** 1-based step to grade alone; by default every step. */
  step?: number;
  /** Apply the reference solution of each step before grading it. */
  solution?: boolean;
  onProgress?: (message: string) => void;
}

/** Grade a lab on a cluster that was brought up for it (setup already run). */
export async function gradeLab(lab: Lab, cluster: GradingCluster, options: GradeOptions = {}): Promise<LabReport> {
  const started = Date.now();
  if (options.step !== undefined && (options.step < 1 || options.step > lab.steps.length)) {
    throw new Error(`lab ${lab.id} has no step ${options.step} (it has ${lab.steps.length})`);
  }
  const last = options.step ?? lab.steps.length;
  const steps: StepReport[] = [];
  for (let index = 0; index < last; index++) {
    const step = lab.steps[index]!;
    if (options.solution) {
      options.onProgress?.(`applying the solution of step ${index + 1}: ${step.title}`);
      await runCommands(cluster, step.solution, `the solution of step '${step.id}'`);
    }
    if (options.step !== undefined && index + 1 !== options.step) continue;
    options.onProgress?.(`checking step ${index + 1}: ${step.title}`);
    steps.push(await gradeStep(lab, index, cluster));
  }
  const passed = steps.reduce((n, s) => n + s.passed, 0);
  const total = steps.reduce((n, s) => n + s.total, 0);
  return {
    lab: lab.id, title: lab.title, solutionApplied: options.solution ?? false, steps, passed, total,
    score: steps.length ? steps.reduce((sum, s) => sum + s.score, 0) / steps.length : 0,
    durationMs: Date.now() - started,
  };
}
