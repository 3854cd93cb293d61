// The Kubernetes objects live with the lab run: save() keeps the attached store's objects
// beside the nodes' states (under KUBE_STATE), restore() puts them back, and a run opened
// from saved states hands them to the API attached next. The nodes here are stand-ins that
// keep a byte per state: what is tested is LabRun's bookkeeping; the nodes' own save and
// restore are tested on real nodes (test/integration/lab-run.test.ts).
import { describe, expect, it } from 'vitest';
import { KUBE_STATE, LabRun } from '../../../src/harness/lab-run.js';
import { KubeApi } from '../../../src/kube/api.js';
import { SERVICE } from '../../../src/kube/controllers/common.js';
import type { Lab } from '../../../src/lab/types.js';
import type { Cluster } from '../../../src/vm/cluster.js';

function standInCluster() {
  const restored: Record<string, number> = {};
  const node = (name: string) => ({
    snapshot: async () => new Uint8Array([name.length]).buffer,
    restore: async (state: ArrayBuffer) => { restored[name] = new Uint8Array(state)[0]!; },
  });
  const nodes = new Map([['node1', node('node1')], ['node2', node('node2')]]);
  return { cluster: { nodes, node: (name: string) => nodes.get(name)! } as unknown as Cluster, restored };
}
const lab = { id: 'x', steps: [] } as unknown as Lab;

describe('a lab run saves and restores its Kubernetes objects', () => {
  it('save() adds the objects; restore() brings them back into the attached store, and the nodes their states', async () => {
    const { cluster, restored } = standInCluster();
    const run = LabRun.over(lab, cluster);
    expect(Object.keys(await run.save())).toEqual(['node1', 'node2']); // no API, no objects
    const api = new KubeApi();
    run.attachKube(api.store);
    api.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const states = await run.save();
    expect(Object.keys(states).sort()).toEqual([KUBE_STATE, 'node1', 'node2']);
    const version = api.store.resourceVersion;

    api.delete(SERVICE, 'default', 'web');
    api.create(SERVICE, 'default', { metadata: { name: 'other' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
    await run.restore(states);
    expect(restored).toEqual({ node1: 5, node2: 5 });
    expect(api.store.get(SERVICE.storage, 'default', 'other')).toBeUndefined();
    expect(api.store.get(SERVICE.storage, 'default', 'web')?.spec).toMatchObject({ clusterIP: '10.96.0.20' });
    expect(api.store.resourceVersion).toBe(version);
  });

  it('objects restored before an API is attached wait for it', async () => {
    const { cluster } = standInCluster();
    const first = LabRun.over(lab, cluster);
    const api = new KubeApi();
    first.attachKube(api.store);
    api.create(SERVICE, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const states = await first.save();

    const second = LabRun.over(lab, cluster);
    await second.restore(states);
    const fresh = new KubeApi();
    expect(fresh.store.get(SERVICE.storage, 'default', 'web')).toBeUndefined();
    second.attachKube(fresh.store);
    expect(fresh.store.get(SERVICE.storage, 'default', 'web')).toBeDefined();
    expect(second.kube).toBe(fresh.store);
  });
});
