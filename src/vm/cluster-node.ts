// Bringing a cluster up on a Node host: workers are worker_threads, and every node
// starts from the cached base snapshot (made on first use).
import { snapshotAssets } from './assets-node.js';
import { Cluster } from './cluster.js';
import { nodeWorkerHost } from './host-node.js';
import { nodeMemoryOf, type Topology } from '../topology/topology.js';

export async function startCluster(topology: Topology): Promise<Cluster> {
  return Cluster.up(topology, nodeWorkerHost, await snapshotAssets(nodeMemoryOf(topology)));
}
