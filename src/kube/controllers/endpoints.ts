// The EndpointSlice controller (pkg/controller/endpointslice) and the Endpoints controller
// (pkg/controller/endpoint), for each Service with a selector: the pods it selects that have
// an IP, each with its readiness (the pod's Ready condition, which the kubelet's readiness
// probes set; a pod being deleted is terminating), and each Service port's targetPort resolved per pod (a name is looked up
// among the pod's container ports, as podutil.FindPort: a pod without that port is left
// out). Slices are labelled kubernetes.io/service-name and managed-by
// endpointslice-controller.k8s.io and owned by the Service; pods that resolve to the same
// ports share one slice, so a Service has one slice unless its pods disagree on a named
// port. With no pods the Service keeps one empty slice, as upstream's placeholder. Endpoints
// (v1) list ready pods under addresses and the others under notReadyAddresses. A Service
// without a selector is left alone: its endpoints are the user's.
import type { KubeApi } from '../api.js';
import { setMatcher } from '../selectors.js';
import { controllerOf, controllerRef, ENDPOINTS, isReady, list, NODE, POD, SERVICE, SLICE, type Any, type Plain } from './common.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** The label upstream's Endpoints controller puts on what it writes (since v1.33). */
const ENDPOINTS_MANAGED_BY = 'endpoints.kubernetes.io/managed-by';

interface Port { name?: string; port: number; protocol: string }

/** The container port a targetPort names, or the number itself; undefined when the pod has no such port. */
export function resolveTargetPort(pod: Plain, servicePort: Plain): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  for (const c of (pod.spec?.containers ?? []) as Any[]) {
    for (const p of (c.ports ?? []) as Any[]) if (p.name === target && (p.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP')) return p.containerPort;
  }
  return undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function reconcileEndpoints(api: KubeApi): void {
  const services = list(api, SERVICE);
  const slices = list(api, SLICE).filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
  const zones = new Map(list(api, NODE).map((n) => [n.metadata.name, n.metadata.labels?.['topology.kubernetes.io/zone']]));
  const wanted = new Set<string>();
  for (const svc of services) {
    const ns = svc.metadata.namespace as string;
    if (svc.spec?.type === 'ExternalName' || !Object.keys(svc.spec?.selector ?? {}).length) continue;
    wanted.add(`${ns}/${svc.metadata.name}`);
    const selects = setMatcher(svc.spec.selector);
    const pods = list(api, POD, ns).filter((p) => selects(p.metadata.labels) && p.status?.podIP && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const notReadyOK = Boolean(svc.spec.publishNotReadyAddresses);
    // Group pods by the ports they resolve to.
    const groups = new Map<string, { ports: Port[]; endpoints: Plain[]; addresses: Plain[]; notReady: Plain[] }>();
    for (const pod of pods) {
      const ports: Port[] = [];
      for (const sp of (svc.spec.ports ?? []) as Any[]) {
        const port = resolveTargetPort(pod, sp);
        if (port !== undefined) ports.push({ ...(sp.name ? { name: sp.name } : { name: '' }), port, protocol: sp.protocol ?? 'TCP' });
      }
      if (!ports.length && (svc.spec.ports ?? []).length) continue;
      const key = JSON.stringify(ports);
      let group = groups.get(key);
      if (!group) groups.set(key, group = { ports, endpoints: [], addresses: [], notReady: [] });
      // podToEndpoint (endpointslice/util): serving is the pod's readiness, ready is serving and not terminating; publishNotReadyAddresses makes both true.
      const terminating = Boolean(pod.metadata.deletionTimestamp);
      const serving = isReady(pod) || notReadyOK;
      const ready = notReadyOK || (serving && !terminating);
      const zone = zones.get(pod.spec?.nodeName);
      const targetRef = { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid };
      // A pod names itself in the Service whose name is its subdomain (endpointutil.ShouldSetHostname): the DNS name <hostname>.<svc>.
      const hostname = pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name ? { hostname: pod.spec.hostname as string } : {};
      group.endpoints.push({
        addresses: [pod.status.podIP],
        ...hostname,
        conditions: { ready, serving, terminating },
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef,
        ...(zone ? { zone } : {}),
      });
      (ready ? group.addresses : group.notReady).push({ ip: pod.status.podIP, ...hostname, ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef });
    }
    const byIP = (a: Plain, b: Plain) => String(a.addresses?.[0] ?? a.ip).localeCompare(String(b.addresses?.[0] ?? b.ip), undefined, { numeric: true });
    const want = [...groups.values()].map((g) => ({ ...g, endpoints: g.endpoints.sort(byIP) }));
    if (!want.length) want.push({ ports: [], endpoints: [], addresses: [], notReady: [] }); // the placeholder slice

    // EndpointSlices: reuse this Service's slices in order, make or delete the difference.
    const mine = slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    want.forEach((group, i) => {
      const labels = { ...svc.metadata.labels, [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY };
      const body = { addressType: 'IPv4', endpoints: group.endpoints, ports: group.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })) };
      const old = mine[i];
      if (!old) {
        api.create(SLICE, ns, { metadata: { generateName: `${svc.metadata.name}-`, namespace: ns, labels, ownerReferences: [controllerRef(svc)] }, ...body });
      } else if (!same(old.endpoints ?? [], body.endpoints) || !same(old.ports ?? [], body.ports) || !same(old.metadata.labels, labels) || controllerOf(old)?.uid !== svc.metadata.uid) {
        api.update(SLICE, ns, old.metadata.name, { ...old, ...body, metadata: { ...old.metadata, labels, ownerReferences: [controllerRef(svc)] } });
      }
    });
    for (const extra of mine.slice(want.length)) api.delete(SLICE, ns, extra.metadata.name);

    // Endpoints: one object named as the Service.
    const subsets = want.filter((g) => g.addresses.length || g.notReady.length).map((g) => ({
      ...(g.addresses.length ? { addresses: g.addresses.sort(byIP) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIP) } : {}),
      ports: g.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
    }));
    const labels = { ...svc.metadata.labels, [ENDPOINTS_MANAGED_BY]: 'endpoint-controller' };
    const old = api.store.get(ENDPOINTS.storage, ns, svc.metadata.name) as Any | undefined;
    if (!old) api.create(ENDPOINTS, ns, { metadata: { name: svc.metadata.name, namespace: ns, labels }, ...(subsets.length ? { subsets } : {}) });
    else if (!same(old.subsets ?? [], subsets) || !same(old.metadata.labels, labels)) {
      const next: Any = { ...old, metadata: { ...old.metadata, labels } };
      if (subsets.length) next.subsets = subsets; else delete next.subsets;
      api.update(ENDPOINTS, ns, svc.metadata.name, next);
    }
  }
  // Endpoints this controller wrote for a Service that is gone or lost its selector.
  for (const ep of list(api, ENDPOINTS)) {
    if (ep.metadata.labels?.[ENDPOINTS_MANAGED_BY] === 'endpoint-controller' && !wanted.has(`${ep.metadata.namespace}/${ep.metadata.name}`)) api.delete(ENDPOINTS, ep.metadata.namespace, ep.metadata.name);
  }
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!wanted.has(`${s.metadata.namespace}/${svc}`) && controllerOf(s)) {
      // A Service that lost its selector: its managed slices go (a deleted Service's go by garbage collection).
      if (services.some((x) => x.metadata.uid === controllerOf(s)?.uid)) api.delete(SLICE, s.metadata.namespace, s.metadata.name);
    }
  }
}
