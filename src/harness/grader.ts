// What ui/session.ts grades with until it runs on LabRun: a step's check and a script per
// node, on a bare cluster. Everything else drives a lab through LabRun (lab-run.ts).
import type { Lab, NodeCommands } from '../lab/types.js';
import type { Cluster } from '../vm/cluster.js';
import { LabRun } from './lab-run.js';
import type { StepReport } from './report.js';

export type { LabReport, StepReport } from './report.js';

/** @deprecated use LabRun.checkStep */
export function gradeStep(lab: Lab, stepIndex: number, cluster: Cluster, attempt = 0): Promise<StepReport> {
  return LabRun.over(lab, cluster).checkStep(stepIndex, attempt);
}

/** @deprecated use LabRun.apply */
export async function runCommands(cluster: Cluster, commands: NodeCommands, what: string): Promise<void> {
  // No lab is needed to run scripts; an empty one keeps LabRun's one way of doing it.
  const lab = { id: what, steps: [] } as unknown as Lab;
  await LabRun.over(lab, cluster).apply(commands, what);
}
