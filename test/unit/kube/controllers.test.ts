// The controllers (src/kube/controllers) over the API alone, no nodes: the kubelet runs with
// addressOnlyRuntime, which hands out pod IPs from each Node's podCIDR and runs nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { DEPLOYMENT, ENDPOINTS, NODE, POD, REPLICASET, SERVICE, SLICE, type Any, type Plain } from '../../../src/kube/controllers/common.js';
import { podTemplateHash } from '../../../src/kube/controllers/deployment.js';
import { resolveTargetPort } from '../../../src/kube/controllers/endpoints.js';
import { addressOnlyRuntime } from '../../../src/kube/controllers/kubelet.js';
import { ControllerManager } from '../../../src/kube/controllers/manager.js';

let api: KubeApi;
let manager: ControllerManager;

const node = (name: string, podCIDR: string, labels: Record<string, string> = {}) => api.create(NODE, undefined, {
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: { podCIDR },
  status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${10 + Number(name.slice(-1))}` }], conditions: [{ type: 'Ready', status: 'True' }] },
});

const deployment = (name: string, replicas: number, extra: Plain = {}) => ({
  metadata: { name, namespace: 'default' },
  spec: {
    replicas, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra } },
  },
});

const pods = (label?: string) => (api.list(POD, 'default').items as Any[]).filter((p) => !label || p.metadata.labels?.app === label);
const slicesOf = (svc: string) => (api.list(SLICE, 'default').items as Any[]).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);

beforeEach(() => {
  api = new KubeApi();
  manager = new ControllerManager(api, { runtime: addressOnlyRuntime });
  manager.start();
});
afterEach(() => manager.stop());

describe('Deployment -> ReplicaSet -> Pods', () => {
  it('makes one ReplicaSet named by the pod-template-hash, owned by the Deployment, and its pods', async () => {
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    await manager.settle();
    const [rs, ...more] = api.list(REPLICASET, 'default').items as Any[];
    expect(more).toEqual([]);
    const hash = rs!.metadata.labels['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', controller: true, blockOwnerDeletion: true })]);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    const two = pods('web');
    expect(two).toHaveLength(2);
    for (const p of two) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[0-9a-z]{5}$`));
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: rs!.metadata.name, uid: rs!.metadata.uid });
      expect(p.status.phase).toBe('Pending'); // no nodes: not scheduled
    }
    expect(rs!.status).toMatchObject({ replicas: 2 });
  });

  it('the hash changes with the template and only then', () => {
    const t = deployment('web', 1).spec.template;
    expect(podTemplateHash(t)).toBe(podTemplateHash(structuredClone(t)));
    expect(podTemplateHash(t)).not.toBe(podTemplateHash({ ...t, spec: { ...t.spec, containers: [{ name: 'web', image: 'nginx:1.26' }] } }));
  });

  it('a new template makes a new ReplicaSet and scales the old one to 0', async () => {
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    await manager.settle();
    const d = api.get(DEPLOYMENT, 'default', 'web') as Any;
    d.spec.template.spec.containers[0].image = 'nginx:1.26';
    api.update(DEPLOYMENT, 'default', 'web', d);
    await manager.settle();
    const sets = api.list(REPLICASET, 'default').items as Any[];
    expect(sets.map((s) => s.spec.replicas).sort()).toEqual([0, 2]);
    expect(pods('web').every((p) => p.spec.containers[0].image === 'nginx:1.26')).toBe(true);
  });

  it('scale up and down; a deleted pod is replaced', async () => {
    node('node1', '10.244.1.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 3));
    await manager.settle();
    expect(pods('web')).toHaveLength(3);
    const victim = pods('web')[0]!.metadata.name;
    api.delete(POD, 'default', victim);
    await manager.settle();
    expect(pods('web')).toHaveLength(3);
    expect(pods('web').map((p) => p.metadata.name)).not.toContain(victim);
    api.patch(DEPLOYMENT, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 1 } });
    await manager.settle();
    expect(pods('web')).toHaveLength(1);
    expect((api.get(DEPLOYMENT, 'default', 'web') as Any).status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 });
  });

  it('scales down the pods that are not scheduled first', async () => {
    node('node1', '10.244.1.0/24', { disk: 'ssd' });
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    await manager.settle();
    // Two running pods, then two more that cannot be placed (a selector no node matches).
    api.create(POD, 'default', { metadata: { name: 'stray', labels: { app: 'web', 'pod-template-hash': (api.list(REPLICASET, 'default').items[0] as Any).metadata.labels['pod-template-hash'] } }, spec: { nodeSelector: { disk: 'hdd' }, containers: [{ name: 'c', image: 'x' }] } });
    await manager.settle();
    expect(pods('web').map((p) => p.metadata.name)).not.toContain('stray'); // adopted, and the surplus went: the unscheduled one
    expect(pods('web')).toHaveLength(2);
  });
});

describe('garbage collection through ownerReferences', () => {
  it('deleting a Deployment takes its ReplicaSets and their pods', async () => {
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    api.create(POD, 'default', { metadata: { name: 'bystander', labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await manager.settle();
    api.delete(DEPLOYMENT, 'default', 'web');
    await manager.settle();
    expect(api.list(REPLICASET, 'default').items).toEqual([]);
    expect(pods().map((p) => p.metadata.name)).toEqual(['bystander']);
  });

  it('an owner is found by uid: a new object of the same name does not keep the old one\'s dependents', async () => {
    manager.stop();
    const owner = api.create(SERVICE, 'default', { metadata: { name: 'o' }, spec: { ports: [{ port: 80 }] } });
    api.create(POD, 'default', { metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'o', uid: owner.metadata.uid }] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    api.delete(SERVICE, 'default', 'o');
    api.create(SERVICE, 'default', { metadata: { name: 'o' }, spec: { ports: [{ port: 80 }] } });
    manager.start();
    await manager.settle();
    expect(pods().map((p) => p.metadata.name)).toEqual([]);
  });
});

describe('scheduler', () => {
  it('spreads a Deployment across nodes', async () => {
    node('node1', '10.244.1.0/24');
    node('node2', '10.244.2.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 4));
    await manager.settle();
    const count = (n: string) => pods('web').filter((p) => p.spec.nodeName === n).length;
    expect([count('node1'), count('node2')]).toEqual([2, 2]);
    for (const p of pods('web')) {
      expect(p.status.phase).toBe('Running');
      expect(p.status.podIP).toMatch(p.spec.nodeName === 'node1' ? /^10\.244\.1\.\d+$/ : /^10\.244\.2\.\d+$/);
      expect(p.status.hostIP).toBe(p.spec.nodeName === 'node1' ? '192.0.2.11' : '192.0.2.12');
    }
  });

  it('honours nodeSelector and nodeName, and says why a pod fits nowhere', async () => {
    node('node1', '10.244.1.0/24', { disk: 'ssd' });
    node('node2', '10.244.2.0/24');
    api.create(POD, 'default', { metadata: { name: 'ssd' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'x' }] } });
    api.create(POD, 'default', { metadata: { name: 'pinned' }, spec: { nodeName: 'node2', containers: [{ name: 'c', image: 'x' }] } });
    api.create(POD, 'default', { metadata: { name: 'nowhere' }, spec: { nodeSelector: { gpu: 'yes' }, containers: [{ name: 'c', image: 'x' }] } });
    await manager.settle();
    const byName = Object.fromEntries(pods().map((p) => [p.metadata.name, p]));
    expect(byName.ssd.spec.nodeName).toBe('node1');
    expect(byName.pinned.spec.nodeName).toBe('node2');
    expect(byName.pinned.status.phase).toBe('Running');
    expect(byName.nowhere.spec.nodeName).toBeUndefined();
    expect(byName.nowhere.status.conditions).toEqual([{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }]);
  });

  it('skips cordoned and NotReady nodes', async () => {
    node('node1', '10.244.1.0/24');
    api.create(NODE, undefined, { metadata: { name: 'node2' }, spec: { unschedulable: true } });
    api.create(NODE, undefined, { metadata: { name: 'node3' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    api.create(DEPLOYMENT, 'default', deployment('web', 3));
    await manager.settle();
    expect(new Set(pods('web').map((p) => p.spec.nodeName))).toEqual(new Set(['node1']));
  });
});

describe('EndpointSlice and Endpoints', () => {
  const service = (spec: Plain = {}) => api.create(SERVICE, 'default', { metadata: { name: 'web', labels: { team: 'a' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });

  it('one slice per Service with the pods it selects, the named targetPort resolved, and Endpoints', async () => {
    node('node1', '10.244.1.0/24', { 'topology.kubernetes.io/zone': 'z1' });
    node('node2', '10.244.2.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    service();
    await manager.settle();
    const [slice, ...more] = slicesOf('web');
    expect(more).toEqual([]);
    expect(slice!.metadata.name).toMatch(/^web-[0-9a-z]{5}$/);
    expect(slice!.metadata.labels).toEqual({ team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Service', name: 'web', controller: true })]);
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice!.endpoints.map((e: Any) => [e.addresses[0], e.nodeName, e.conditions.ready, e.zone])).toEqual([['10.244.1.2', 'node1', true, 'z1'], ['10.244.2.2', 'node2', true, undefined]]);
    expect(slice!.endpoints[0].targetRef).toMatchObject({ kind: 'Pod', namespace: 'default' });
    const ep = api.get(ENDPOINTS, 'default', 'web') as Any;
    expect(ep.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: '10.244.1.2', nodeName: 'node1' }), expect.objectContaining({ ip: '10.244.2.2', nodeName: 'node2' })], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });

  it('readiness comes from the pod\'s Ready condition', async () => {
    node('node1', '10.244.1.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    service();
    await manager.settle();
    const pod = pods('web')[0]!;
    api.update(POD, 'default', pod.metadata.name, { ...pod, status: { ...pod.status, conditions: pod.status.conditions.map((c: Any) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)) } }, { subresource: 'status' });
    await manager.settle();
    const endpoint = slicesOf('web')[0]!.endpoints.find((e: Any) => e.addresses[0] === pod.status.podIP);
    expect(endpoint.conditions).toEqual({ ready: false, serving: false, terminating: false });
    const ep = api.get(ENDPOINTS, 'default', 'web') as Any;
    expect(ep.subsets[0].notReadyAddresses.map((a: Any) => a.ip)).toEqual([pod.status.podIP]);
    expect(ep.subsets[0].addresses).toHaveLength(1);
  });

  it('a targetPort the pods do not have leaves them out; a selector that matches nothing leaves an empty slice', async () => {
    node('node1', '10.244.1.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 1));
    service({ ports: [{ name: 'http', port: 80, targetPort: 'htp' }] });
    await manager.settle();
    expect(slicesOf('web').map((s) => [s.endpoints ?? [], s.ports ?? []])).toEqual([[[], []]]);
    expect((api.get(ENDPOINTS, 'default', 'web') as Any).subsets).toBeUndefined();
    api.patch(SERVICE, 'default', 'web', 'application/merge-patch+json', { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: 'nope' } } });
    await manager.settle();
    expect(slicesOf('web').map((s) => s.endpoints ?? [])).toEqual([[]]);
  });

  it('follows scaling; deleting the Service takes its slices and Endpoints; a Service without selector is left alone', async () => {
    node('node1', '10.244.1.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 1));
    service();
    api.create(SERVICE, 'default', { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
    api.create(ENDPOINTS, 'default', { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.0.2.99' }], ports: [{ port: 80 }] }] });
    await manager.settle();
    api.patch(DEPLOYMENT, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 3 } });
    await manager.settle();
    expect(slicesOf('web')[0]!.endpoints).toHaveLength(3);
    api.patch(DEPLOYMENT, 'default', 'web', 'application/merge-patch+json', { spec: { replicas: 1 } });
    await manager.settle();
    expect(slicesOf('web')[0]!.endpoints).toHaveLength(1);
    api.delete(SERVICE, 'default', 'web');
    await manager.settle();
    expect(slicesOf('web')).toEqual([]);
    expect((api.list(ENDPOINTS, 'default').items as Any[]).map((e) => e.metadata.name)).toEqual(['manual']);
    expect(slicesOf('manual')).toEqual([]);
  });

  it('resolves a targetPort by number, by numeric string and by name', () => {
    const pod = { metadata: {}, spec: { containers: [{ ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'web', containerPort: 8080 }] }] } };
    expect(resolveTargetPort(pod, { port: 80 })).toBe(80);
    expect(resolveTargetPort(pod, { port: 80, targetPort: 9090 })).toBe(9090);
    expect(resolveTargetPort(pod, { port: 80, targetPort: 'web' })).toBe(8080);
    expect(resolveTargetPort(pod, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(53);
    expect(resolveTargetPort(pod, { port: 53, targetPort: 'dns', protocol: 'TCP' })).toBeUndefined();
  });
});

describe('the manager', () => {
  it('settles with no errors, and a snapshot restores into an API the controllers pick up again', async () => {
    node('node1', '10.244.1.0/24');
    api.create(DEPLOYMENT, 'default', deployment('web', 2));
    await manager.settle();
    expect(manager.errors).toEqual([]);
    const saved = api.snapshot();
    const other = new KubeApi();
    other.restore(saved);
    const again = new ControllerManager(other, { runtime: addressOnlyRuntime });
    again.start();
    await again.settle();
    expect((other.list(POD, 'default').items as Any[]).map((p) => p.metadata.name).sort()).toEqual(pods('web').map((p) => p.metadata.name).sort());
    again.stop();
  });
});
