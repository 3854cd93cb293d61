// One lab, start to finish, on a Node host: bring up its topology, run its setup,
// grade it, bring it down. Used by the podwire CLI and the solution-bot tests.
import type { Lab } from '../lab/types.js';
import type { Cluster } from '../vm/cluster.js';
import { startCluster } from '../vm/cluster-node.js';
import { gradeLab, runCommands, type GradeOptions, type LabReport } from './grader.js';

/** Start a lab's cluster with its setup applied. The caller brings it down. */
export async function startLab(lab: Lab): Promise<Cluster> {
  const cluster = await startCluster(lab.topology);
  try {
    await runCommands(cluster, lab.setup, `the setup of lab ${lab.id}`);
  } catch (error) {
    await cluster.down();
    throw error;
  }
  return cluster;
}

export async function runLab(lab: Lab, options: GradeOptions & { beforeGrading?: (cluster: Cluster) => Promise<void> } = {}): Promise<LabReport> {
  const cluster = await startLab(lab);
  try {
    await options.beforeGrading?.(cluster);
    return await gradeLab(lab, cluster, options);
  } finally {
    await cluster.down();
  }
}
