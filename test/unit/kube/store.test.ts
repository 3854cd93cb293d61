// The object store (src/kube/store.ts) and the API's rules on top of it (src/kube/api.ts):
// resourceVersions, watch from a resourceVersion, server-owned metadata, generation,
// namespaced deletes, Terminating namespaces, snapshot and restore.
import { describe, expect, it } from 'vitest';
import { KubeApi, MAX_OBJECTS } from '../../../src/kube/api.js';
import { ApiError } from '../../../src/kube/api-error.js';
import { KINDS, type Kind } from '../../../src/kube/resources.js';
import { Store, StoreError, type KubeObject } from '../../../src/kube/store.js';

const kind = (name: string, version?: string): Kind => KINDS.find((k) => k.kind === name && (!version || k.version === version))!;
const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

describe('store', () => {
  it('sets uid, creationTimestamp, generation and a rising resourceVersion', () => {
    const store = new Store(() => new Date('2026-01-02T03:04:05.678Z'));
    const a = store.create('core/configmaps', { metadata: { name: 'a', namespace: 'x', uid: 'mine' } }, 'configmaps');
    const b = store.create('core/configmaps', { metadata: { name: 'b', namespace: 'x' } }, 'configmaps');
    expect(a.metadata.uid).not.toBe('mine');
    expect(a.metadata.creationTimestamp).toBe('2026-01-02T03:04:05Z');
    expect(a.metadata.generation).toBe(1);
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(() => store.create('core/configmaps', { metadata: { name: 'a', namespace: 'x' } }, 'configmaps')).toThrow('configmaps "a" already exists');
  });

  it('bumps generation on a spec change only, and refuses a stale resourceVersion', () => {
    const store = new Store();
    const created = store.create('apps/deployments', { metadata: { name: 'd', namespace: 'x' }, spec: { replicas: 1 } }, 'deployments.apps');
    const relabeled = store.update('apps/deployments', { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } }, 'deployments.apps');
    expect(relabeled.metadata.generation).toBe(1);
    const scaled = store.update('apps/deployments', { ...relabeled, spec: { replicas: 3 } }, 'deployments.apps');
    expect(scaled.metadata.generation).toBe(2);
    const same = store.update('apps/deployments', scaled, 'deployments.apps');
    expect(same.metadata.resourceVersion).toBe(scaled.metadata.resourceVersion); // a no-op write is no event
    expect(() => store.update('apps/deployments', created, 'deployments.apps')).toThrow(/Operation cannot be fulfilled on deployments.apps "d": the object has been modified/);
  });

  it('replays the events after a resourceVersion, then streams new ones; too old is Gone', () => {
    const store = new Store();
    store.create('core/pods', { metadata: { name: 'p1', namespace: 'x' } }, 'pods');
    const since = store.resourceVersion;
    store.create('core/pods', { metadata: { name: 'p2', namespace: 'x' } }, 'pods');
    const seen: string[] = [];
    const stop = store.watch(since, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    store.delete('core/pods', 'x', 'p1', 'pods');
    stop();
    store.delete('core/pods', 'x', 'p2', 'pods');
    expect(seen).toEqual(['ADDED p2', 'DELETED p1']);
    for (let i = 0; i < 2100; i++) store.create('core/configmaps', { metadata: { name: `c${i}`, namespace: 'x' } }, 'configmaps');
    expect(() => store.watch(since, () => {})).toThrow(StoreError);
  });

  it('snapshots to JSON and restores the same objects and revision', () => {
    const store = new Store();
    store.create('core/configmaps', { metadata: { name: 'a', namespace: 'x' }, data: { k: 'v' } } as KubeObject, 'configmaps');
    const snapshot = JSON.parse(JSON.stringify(store.snapshot()));
    const other = new Store();
    other.restore(snapshot);
    expect(other.get('core/configmaps', 'x', 'a')).toEqual(store.get('core/configmaps', 'x', 'a'));
    expect(other.resourceVersion).toBe(store.resourceVersion);
    expect(other.create('core/configmaps', { metadata: { name: 'b', namespace: 'x' } }, 'configmaps').metadata.resourceVersion).toBe(String(store.resourceVersion + 1));
  });
});

describe('api rules', () => {
  it('starts with the four namespaces and the kubernetes Service at the first address of the range', () => {
    const api = new KubeApi({ serviceCIDR: '10.43.0.0/16' });
    expect(api.list(kind('Namespace'), undefined).items.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect((api.get(kind('Service'), 'default', 'kubernetes') as any).spec.clusterIP).toBe('10.43.0.1');
  });

  it('labels every namespace with its name (kubernetes.io/metadata.name), and keeps the label on an update that drops or changes it', () => {
    const api = new KubeApi();
    expect((api.get(kind('Namespace'), undefined, 'kube-system') as any).metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
    api.create(kind('Namespace'), undefined, { metadata: { name: 'shop', labels: { team: 'a', 'kubernetes.io/metadata.name': 'other' } } });
    expect((api.get(kind('Namespace'), undefined, 'shop') as any).metadata.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'shop' });
    const ns = api.get(kind('Namespace'), undefined, 'shop') as any;
    api.update(kind('Namespace'), undefined, 'shop', { ...ns, metadata: { ...ns.metadata, labels: { team: 'b' } } });
    expect((api.get(kind('Namespace'), undefined, 'shop') as any).metadata.labels).toEqual({ team: 'b', 'kubernetes.io/metadata.name': 'shop' });
  });

  it('404s in the upstream words, for objects and for namespaces that do not exist', () => {
    const api = new KubeApi();
    expect(() => api.get(kind('Pod'), 'default', 'x')).toThrow('pods "x" not found');
    expect(() => api.get(kind('Deployment'), 'default', 'x')).toThrow('deployments.apps "x" not found');
    expect(() => api.create(kind('ConfigMap'), 'nope', cm('a'))).toThrow('namespaces "nope" not found');
  });

  it('keeps objects apart by namespace and deletes in one only', () => {
    const api = new KubeApi();
    api.create(kind('Namespace'), undefined, { metadata: { name: 'other' } });
    api.create(kind('ConfigMap'), 'default', cm('a'));
    api.create(kind('ConfigMap'), 'other', cm('a'));
    api.delete(kind('ConfigMap'), 'default', 'a');
    expect(() => api.get(kind('ConfigMap'), 'default', 'a')).toThrow('configmaps "a" not found');
    expect(api.get(kind('ConfigMap'), 'other', 'a').metadata.namespace).toBe('other');
  });

  it('a deleted namespace is Terminating (no new objects), then it and its objects go', () => {
    const api = new KubeApi({ namespaceDelay: 60_000 });
    api.create(kind('Namespace'), undefined, { metadata: { name: 'shop' } });
    api.create(kind('ConfigMap'), 'shop', cm('a'));
    api.delete(kind('Namespace'), undefined, 'shop');
    expect((api.get(kind('Namespace'), undefined, 'shop') as any).status.phase).toBe('Terminating');
    expect(() => api.create(kind('ConfigMap'), 'shop', cm('b'))).toThrow('unable to create new content in namespace shop because it is being terminated');
    api.finishNamespaces();
    expect(() => api.get(kind('Namespace'), undefined, 'shop')).toThrow('namespaces "shop" not found');
    expect(api.list(kind('ConfigMap'), 'shop').items).toEqual([]);
  });

  it('allocates ClusterIPs and NodePorts, keeps them across updates, and leaves headless and ExternalName alone', () => {
    const api = new KubeApi();
    const svc = kind('Service');
    const np = api.create(svc, 'default', { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'a' }, ports: [{ port: 80 }] } }) as any;
    expect(np.spec.clusterIP).toBe('10.96.0.2');
    expect(np.spec.ports[0]).toEqual({ port: 80, targetPort: 80, protocol: 'TCP', nodePort: 30000 });
    const again = api.patch(svc, 'default', 'np', 'application/strategic-merge-patch+json', { metadata: { labels: { x: 'y' } } }) as any;
    expect(again.spec.clusterIP).toBe('10.96.0.2');
    expect(again.spec.ports[0].nodePort).toBe(30000);
    const headless = api.create(svc, 'default', { metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } }) as any;
    expect(headless.spec.clusterIP).toBe('None');
    const ext = api.create(svc, 'default', { metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'example.org' } }) as any;
    expect(ext.spec.clusterIP).toBeUndefined();
  });

  it('allocates a healthCheckNodePort for a LoadBalancer with externalTrafficPolicy Local only, keeps it, and drops it when Cluster no longer needs it', () => {
    const api = new KubeApi();
    const svc = kind('Service');
    const merge = 'application/merge-patch+json';
    api.create(svc, 'default', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] } });
    const local = api.create(svc, 'default', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] } }) as any;
    // One range for both kinds of port: neither 30000 (np's) nor lb's own NodePort.
    expect(local.spec.ports[0].nodePort).toBe(30001);
    expect(local.spec.healthCheckNodePort).toBe(30002);
    expect((api.patch(svc, 'default', 'lb', merge, { metadata: { labels: { x: 'y' } } }) as any).spec.healthCheckNodePort).toBe(30002);
    const cluster = api.patch(svc, 'default', 'lb', merge, { spec: { externalTrafficPolicy: 'Cluster' } }) as any;
    expect(cluster.spec.healthCheckNodePort).toBeUndefined();
    expect((api.patch(svc, 'default', 'lb', merge, { spec: { externalTrafficPolicy: 'Local' } }) as any).spec.healthCheckNodePort).toBe(30002);
    // A NodePort Service with Local has none: no cloud load balancer probes it.
    const npLocal = api.patch(svc, 'default', 'np', merge, { spec: { externalTrafficPolicy: 'Local' } }) as any;
    expect(npLocal.spec.healthCheckNodePort).toBeUndefined();
    expect(() => api.patch(svc, 'default', 'np', merge, { spec: { healthCheckNodePort: 30100 } }))
      .toThrow('Service "np" is invalid: spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\'');
  });

  it('writes status through /status only', () => {
    const api = new KubeApi();
    const pod = kind('Pod');
    api.create(pod, 'default', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const spec = api.patch(pod, 'default', 'p', 'application/merge-patch+json', { status: { phase: 'Running' } }) as any;
    expect(spec.status.phase).toBe('Pending');
    const status = api.patch(pod, 'default', 'p', 'application/merge-patch+json', { status: { phase: 'Running', podIP: '10.244.1.5' } }, { subresource: 'status' }) as any;
    expect(status.status).toMatchObject({ phase: 'Running', podIP: '10.244.1.5' });
  });

  it('serves EndpointSlice as v1 and v1beta1 from one stored object', () => {
    const api = new KubeApi();
    api.create(kind('EndpointSlice', 'v1'), 'default', { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.1'], nodeName: 'n1', zone: 'z' }] });
    const beta = api.get(kind('EndpointSlice', 'v1beta1'), 'default', 's') as any;
    expect(beta.apiVersion).toBe('discovery.k8s.io/v1beta1');
    expect(beta.endpoints[0].topology).toEqual({ 'kubernetes.io/hostname': 'n1', 'topology.kubernetes.io/zone': 'z' });
    expect((api.get(kind('EndpointSlice', 'v1'), 'default', 's') as any).endpoints[0]).toEqual({ addresses: ['192.0.2.1'], nodeName: 'n1', zone: 'z' });
  });

  it('snapshots and restores through JSON, and a Terminating namespace finishes going after a restore', async () => {
    const api = new KubeApi({ namespaceDelay: 10 });
    api.create(kind('Namespace'), undefined, { metadata: { name: 'shop' } });
    api.create(kind('ConfigMap'), 'shop', cm('a', { k: 'v' }));
    api.create(kind('ConfigMap'), 'default', cm('keep'));
    api.delete(kind('Namespace'), undefined, 'shop');
    const saved = JSON.stringify(api.snapshot());
    const restored = new KubeApi({ namespaceDelay: 10 });
    restored.restore(JSON.parse(saved));
    expect(restored.get(kind('ConfigMap'), 'shop', 'a')).toMatchObject({ data: { k: 'v' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(() => restored.get(kind('Namespace'), undefined, 'shop')).toThrow('namespaces "shop" not found');
    expect(restored.get(kind('ConfigMap'), 'default', 'keep').metadata.name).toBe('keep');
  });

  it('holds at most MAX_OBJECTS objects', () => {
    const api = new KubeApi();
    const start = api.snapshot().objects.length;
    for (let i = start; i < MAX_OBJECTS; i++) api.create(kind('ConfigMap'), 'default', cm(`c${i}`));
    expect(() => api.create(kind('ConfigMap'), 'default', cm('one-more'))).toThrow(`configmaps is forbidden: this cluster holds at most ${MAX_OBJECTS} objects`);
  });

  it('scales through the Scale subresource', () => {
    const api = new KubeApi();
    const deploy = kind('Deployment');
    api.create(deploy, 'default', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } });
    expect(api.scale(deploy, 'default', 'd')).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { selector: 'app=d' } });
    api.patchScale(deploy, 'default', 'd', 'application/merge-patch+json', { spec: { replicas: 4 } });
    expect((api.get(deploy, 'default', 'd') as any).spec.replicas).toBe(4);
    expect(() => api.patchScale(deploy, 'default', 'd', 'application/merge-patch+json', { spec: { replicas: -1 } })).toThrow(ApiError);
  });
});
