// A lab on this Node host: its nodes are worker_threads, started from the cached base
// snapshot (made on first use); a lab with `kubernetes:` gets the control plane (kube-lab.ts).
// Used by the podwire CLI, the solution bots and the benchmarks.
import { createHash } from 'node:crypto';
import type { Lab } from '../lab/types.js';
import { snapshotAssets } from '../vm/assets-node.js';
import { nodeWorkerHost } from '../vm/host-node.js';
import { nodeKubectl } from './kube-api-node.js';
import { kubeLabStarter } from './kube-lab.js';
import { LabRun, type LabRunOptions } from './lab-run.js';
import { nodeMemoryOf } from '../topology/topology.js';

/**
 * The nodes' states as a lab's setup left them, by lab and values, for this process: a lab
 * opened again (the lab tests open one many times, to grade one attempt each) starts from them
 * and skips its setup, and so does every reset. The first open of a lab runs its setup as
 * always, so every setup still runs in each test file; the states are taken the second time a
 * lab opens, or at its first reset, since taking them costs a save.
 */
const afterSetup = new Map<string, Record<string, ArrayBuffer>>();
const openedOnce = new Set<string>();
const MAX_KEPT_LABS = 24;

function setupKey(lab: Lab): string {
  return createHash('sha256').update(JSON.stringify([lab.id, lab.topology, lab.setup, lab.values])).digest('hex');
}

function keepAfterSetup(key: string, states: Record<string, ArrayBuffer> | undefined): void {
  if (!states || afterSetup.has(key)) return;
  if (afterSetup.size >= MAX_KEPT_LABS) afterSetup.delete(afterSetup.keys().next().value!);
  afterSetup.set(key, states);
}

/** Open a lab with its setup applied (or from saved states). The caller closes it. */
export async function openLab(lab: Lab, options: Omit<LabRunOptions, 'host' | 'assets'> = {}): Promise<LabRun> {
  const key = setupKey(lab);
  const setupStates = options.states ? undefined : afterSetup.get(key);
  const run = await LabRun.open(lab, { kube: kubeLabStarter(nodeKubectl), reuseSetup: true, ...(setupStates ? { setupStates } : {}), ...options, host: nodeWorkerHost, assets: await snapshotAssets(nodeMemoryOf(lab.topology)) });
  if (!options.states && !setupStates) {
    if (openedOnce.has(key)) keepAfterSetup(key, await run.keepSetupStates());
    openedOnce.add(key);
  }
  return run;
}

/** Open a lab, do `body` with it, and close it whatever happens. */
export async function withLab<T>(lab: Lab, body: (run: LabRun) => Promise<T>, options: Omit<LabRunOptions, 'host' | 'assets'> = {}): Promise<T> {
  const run = await openLab(lab, options);
  try {
    return await body(run);
  } finally {
    // A reset during the body kept the states after the setup: the next open of this lab starts from them.
    if (!options.states) keepAfterSetup(setupKey(lab), run.setupStates);
    await run.close();
  }
}
