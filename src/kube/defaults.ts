// Defaulting and allocation on create and update, as kube-apiserver does before it stores an
// object (pkg/apis/*/v1/defaults.go, and the Service REST storage that allocates ClusterIPs
// and NodePorts). Only the defaults that `get -o yaml`, `describe` and later the controllers
// read: a learner sees the same fields a real cluster fills in.
import type { KubeObject } from './store.js';

type Any = Record<string, any>;

export interface Allocator {
  /** A free ClusterIP from the service range (none when exhausted). */
  clusterIP(): string | undefined;
  /** A free NodePort from 30000-32767. */
  nodePort(): number | undefined;
}

function podSpec(spec: Any | undefined) {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of (spec.containers ?? []) as Any[]) {
    const tag = typeof c.image === 'string' ? c.image.split('/').pop()!.split('@')[0]!.split(':')[1] : undefined;
    c.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of (c.ports ?? []) as Any[]) p.protocol ??= 'TCP';
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe] as (Any | undefined)[]) {
      if (!probe) continue;
      // SetDefaults_Probe and SetDefaults_HTTPGetAction.
      probe.timeoutSeconds ??= 1;
      probe.periodSeconds ??= 10;
      probe.successThreshold ??= 1;
      probe.failureThreshold ??= 3;
      if (probe.httpGet) { probe.httpGet.path ||= '/'; probe.httpGet.scheme ??= 'HTTP'; }
    }
  }
}

function workload(o: Any, deployment: boolean) {
  const spec = (o.spec ??= {}) as Any;
  spec.replicas ??= 1;
  spec.template ??= {};
  spec.template.metadata ??= {};
  podSpec(spec.template.spec);
  if (deployment) {
    spec.strategy ??= { type: 'RollingUpdate' };
    if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
  }
  o.status ??= {};
}

/** needsHCNodePort: a LoadBalancer Service with externalTrafficPolicy Local. */
export const needsHealthCheckNodePort = (spec: Any | undefined) => spec?.type === 'LoadBalancer' && spec?.externalTrafficPolicy === 'Local';

function service(o: Any, old: Any | undefined, allocate: Allocator) {
  const spec = (o.spec ??= {}) as Any;
  spec.type ??= 'ClusterIP';
  if (spec.type !== 'ExternalName') {
    spec.sessionAffinity ??= 'None';
    // The allocated addresses and ports are kept across updates that do not set them.
    if (!spec.clusterIP && old?.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if (!spec.clusterIP) spec.clusterIP = allocate.clusterIP() ?? '';
    spec.clusterIPs ??= spec.clusterIP ? [spec.clusterIP] : undefined;
    if (spec.clusterIP !== 'None') { spec.ipFamilies ??= ['IPv4']; spec.ipFamilyPolicy ??= 'SingleStack'; }
  }
  const oldPorts = (old?.spec?.ports ?? []) as Any[];
  for (const p of (spec.ports ?? []) as Any[]) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      if (!p.nodePort) p.nodePort = oldPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === p.protocol)?.nodePort ?? allocate.nodePort();
    }
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  // healthCheckNodePort: from the NodePort range, for type LoadBalancer with externalTrafficPolicy
  // Local only (the cloud load balancer probes each node's local endpoints there); kept across
  // updates, and dropped by a change that no longer needs it unless the change set it itself
  // (pkg/registry/core/service/storage/alloc.go needsHCNodePort, storage.go dropTypeDependentFields).
  if (needsHealthCheckNodePort(spec)) spec.healthCheckNodePort ||= old?.spec?.healthCheckNodePort || allocate.nodePort();
  else if (old && needsHealthCheckNodePort(old.spec) && spec.healthCheckNodePort === old.spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  o.status ??= { loadBalancer: {} };
}

/** Fill in what the server defaults: in place, on the object about to be stored. */
export function applyDefaults(kind: string, object: KubeObject, old: KubeObject | undefined, allocate: Allocator): void {
  const o = object as Any;
  switch (kind) {
    case 'Namespace':
      // Every namespace carries its name as a label (v1.21 on; pkg/registry/core/namespace/strategy.go,
      // PrepareForCreate and PrepareForUpdate): how a NetworkPolicy's namespaceSelector names one namespace.
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
      o.spec ??= {};
      o.spec.finalizers ??= ['kubernetes'];
      o.status ??= { phase: 'Active' };
      break;
    case 'Pod':
      o.spec ??= {};
      podSpec(o.spec);
      o.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Deployment': workload(o, true); break;
    case 'ReplicaSet': workload(o, false); break;
    case 'Service': service(o, old as Any | undefined, allocate); break;
    case 'Endpoints':
      for (const s of (o.subsets ?? []) as Any[]) for (const p of (s.ports ?? []) as Any[]) p.protocol ??= 'TCP';
      break;
    case 'EndpointSlice':
      for (const p of (o.ports ?? []) as Any[]) p.protocol ??= 'TCP';
      break;
    case 'NetworkPolicy': {
      const spec = (o.spec ??= {}) as Any;
      spec.policyTypes ??= spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])] as Any[]) for (const p of (rule.ports ?? []) as Any[]) p.protocol ??= 'TCP';
      break;
    }
    default: break;
  }
}

/**
 * EndpointSlice is stored as discovery.k8s.io/v1; v1beta1 (which kubectl 1.20's describe
 * reads) differs in where a node and zone live: v1beta1 `topology` map, v1 `nodeName`,
 * `zone` and `deprecatedTopology` (pkg/apis/discovery/v1beta1/conversion.go).
 */
export function sliceToV1beta1(object: KubeObject): KubeObject {
  const o = structuredClone(object) as Any;
  for (const e of (o.endpoints ?? []) as Any[]) {
    const topology: Record<string, string> = { ...(e.deprecatedTopology ?? {}) };
    if (e.nodeName) topology['kubernetes.io/hostname'] = e.nodeName;
    if (e.zone) topology['topology.kubernetes.io/zone'] = e.zone;
    delete e.deprecatedTopology; delete e.zone;
    if (Object.keys(topology).length) e.topology = topology;
    // v1beta1 has nodeName since 1.20 as well; keep it.
  }
  return o as KubeObject;
}

export function sliceFromV1beta1(object: KubeObject): KubeObject {
  const o = structuredClone(object) as Any;
  for (const e of (o.endpoints ?? []) as Any[]) {
    const topology: Record<string, string> = { ...(e.topology ?? {}) };
    if (topology['kubernetes.io/hostname'] !== undefined) { e.nodeName ??= topology['kubernetes.io/hostname']; delete topology['kubernetes.io/hostname']; }
    if (topology['topology.kubernetes.io/zone'] !== undefined) { e.zone = topology['topology.kubernetes.io/zone']; delete topology['topology.kubernetes.io/zone']; }
    delete e.topology;
    if (Object.keys(topology).length) e.deprecatedTopology = topology;
  }
  return o as KubeObject;
}
