// A lab on this Node host: its nodes are worker_threads, started from the cached base
// snapshot (made on first use); a lab with `kubernetes:` gets the control plane (kube-lab.ts).
// Used by the podwire CLI, the solution bots and the benchmarks.
import type { Lab } from '../lab/types.js';
import { snapshotAssets } from '../vm/assets-node.js';
import { nodeWorkerHost } from '../vm/host-node.js';
import { nodeKubectl } from './kube-api-node.js';
import { kubeLabStarter } from './kube-lab.js';
import { LabRun, type LabRunOptions } from './lab-run.js';

/** Open a lab with its setup applied (or from saved states). The caller closes it. */
export async function openLab(lab: Lab, options: Omit<LabRunOptions, 'host' | 'assets'> = {}): Promise<LabRun> {
  return LabRun.open(lab, { kube: kubeLabStarter(nodeKubectl), ...options, host: nodeWorkerHost, assets: await snapshotAssets() });
}

/** Open a lab, do `body` with it, and close it whatever happens. */
export async function withLab<T>(lab: Lab, body: (run: LabRun) => Promise<T>, options: Omit<LabRunOptions, 'host' | 'assets'> = {}): Promise<T> {
  const run = await openLab(lab, options);
  try {
    return await body(run);
  } finally {
    await run.close();
  }
}
