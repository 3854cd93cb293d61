// Server-side printing: what `kubectl get` shows. Since 1.16 kubectl asks the server for a
// meta.k8s.io/v1 Table (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) and prints its
// columns; `-o wide` shows the columns of priority 1 too. The columns and cells follow
// kube-apiserver v1.21's printers (pkg/printers/internalversion/printers.go: printPod,
// printService, printDeployment, ...), so the output reads as on a real cluster.
import type { Kind } from './resources.js';
import type { KubeObject } from './store.js';

interface Column { name: string; type: string; format: string; description: string; priority: number }
type Cell = string | number;
// Loose views of the objects' fields: the server keeps them as JSON.
type Any = Record<string, any>;

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, description: name, priority });
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

/** duration.HumanDuration (k8s.io/apimachinery/pkg/util/duration), as the AGE column shows it. */
export function humanDuration(seconds: number): string {
  if (seconds < 0) return '<invalid>';
  if (seconds < 2 * 60) return `${Math.floor(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) { const s = Math.floor(seconds % 60); return s === 0 ? `${minutes}m` : `${minutes}m${s}s`; }
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) { const m = minutes % 60; return m === 0 ? `${hours}h` : `${hours}h${m}m`; }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) { const h = hours % 24; return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`; }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) { const d = Math.floor(hours / 24) % 365; return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`; }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const age = (o: KubeObject, now: Date) => (o.metadata.creationTimestamp ? humanDuration((now.getTime() - Date.parse(o.metadata.creationTimestamp)) / 1000) : '<unknown>');
const selectorText = (selector: Record<string, string> | undefined) => (selector && Object.keys(selector).length ? Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') : '<none>');

function labelSelectorText(selector: Any | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (selector.matchExpressions ?? []) as Any[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

const containers = (spec: Any | undefined) => ((spec?.template?.spec?.containers ?? []) as Any[]);

function servicePorts(spec: Any): string {
  const ports = (spec.ports ?? []) as Any[];
  if (!ports.length) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

function externalIP(spec: Any, status: Any | undefined): string {
  const ingress = ((status?.loadBalancer?.ingress ?? []) as Any[]).map((i) => i.ip ?? i.hostname).filter(Boolean);
  const external = (spec.externalIPs ?? []) as string[];
  switch (spec.type) {
    case 'ExternalName': return spec.externalName ?? '<none>';
    case 'LoadBalancer': return [...ingress, ...external].join(',') || '<pending>';
    default: return external.length ? external.join(',') : '<none>';
  }
}

/** formatEndpoints: up to 3 addresses:ports, then "+ N more...". */
function endpointsText(subsets: Any[] | undefined): string {
  const all: string[] = [];
  for (const s of subsets ?? []) {
    const ports = (s.ports ?? []) as Any[];
    for (const a of (s.addresses ?? []) as Any[]) {
      if (ports.length) for (const p of ports) all.push(`${a.ip}:${p.port}`); else all.push(a.ip);
    }
  }
  if (!all.length) return '<none>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

function sliceEndpoints(endpoints: Any[] | undefined): string {
  const all = (endpoints ?? []).flatMap((e) => (e.addresses ?? []) as string[]);
  if (!all.length) return '<unset>';
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

function slicePorts(ports: Any[] | undefined): string {
  if (!ports?.length) return '<unset>';
  return ports.map((p) => (p.port === undefined ? '<unset>' : String(p.port))).join(',');
}

function podRow(o: Any, now: Date): Cell[] {
  const statuses = (o.status?.containerStatuses ?? []) as Any[];
  const total = (o.spec?.containers ?? []).length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  let reason = o.status?.reason ?? o.status?.phase ?? 'Pending';
  for (const s of statuses) if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  const gates = (o.spec?.readinessGates ?? []) as Any[];
  return [o.metadata.name, `${ready}/${total}`, reason, restarts, age(o as KubeObject, now),
    o.status?.podIP ?? '<none>', o.spec?.nodeName || '<none>', o.status?.nominatedNodeName ?? '<none>', gates.length ? `0/${gates.length}` : '<none>'];
}

function nodeRow(o: Any, now: Date): Cell[] {
  const ready = ((o.status?.conditions ?? []) as Any[]).find((c) => c.type === 'Ready');
  let status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
  if (o.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(o.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice('node-role.kubernetes.io/'.length));
  const address = (type: string) => ((o.status?.addresses ?? []) as Any[]).find((a) => a.type === type)?.address ?? '<none>';
  const info = (o.status?.nodeInfo ?? {}) as Any;
  return [o.metadata.name, status, roles.length ? roles.sort().join(',') : '<none>', age(o as KubeObject, now), info.kubeletVersion ?? '',
    address('InternalIP'), address('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
}

interface Printer { columns: Column[]; row: (o: Any, now: Date) => Cell[] }

const PRINTERS: Record<string, Printer> = {
  Namespace: { columns: [NAME, col('Status'), AGE], row: (o, now) => [o.metadata.name, o.status?.phase ?? 'Active', age(o as KubeObject, now)] },
  Node: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: nodeRow,
  },
  Pod: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 'integer'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: podRow,
  },
  Service: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    row: (o, now) => [o.metadata.name, o.spec?.type ?? 'ClusterIP', o.spec?.clusterIP || '<none>', externalIP(o.spec ?? {}, o.status), servicePorts(o.spec ?? {}), age(o as KubeObject, now), selectorText(o.spec?.selector)],
  },
  Endpoints: { columns: [NAME, col('Endpoints'), AGE], row: (o, now) => [o.metadata.name, endpointsText(o.subsets), age(o as KubeObject, now)] },
  EndpointSlice: {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    row: (o, now) => [o.metadata.name, o.addressType ?? '', slicePorts(o.ports), sliceEndpoints(o.endpoints), age(o as KubeObject, now)],
  },
  ConfigMap: { columns: [NAME, col('Data', 'integer'), AGE], row: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o as KubeObject, now)] },
  NetworkPolicy: { columns: [NAME, col('Pod-Selector'), AGE], row: (o, now) => [o.metadata.name, labelSelectorText(o.spec?.podSelector).replace('<none>', ''), age(o as KubeObject, now)] },
  Deployment: {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: (o, now) => [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o as KubeObject, now),
      containers(o.spec).map((c) => c.name).join(','), containers(o.spec).map((c) => c.image).join(','), labelSelectorText(o.spec?.selector)],
  },
  ReplicaSet: {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    row: (o, now) => [o.metadata.name, o.spec?.replicas ?? 1, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o as KubeObject, now),
      containers(o.spec).map((c) => c.name).join(','), containers(o.spec).map((c) => c.image).join(','), labelSelectorText(o.spec?.selector)],
  },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    row: (o, now) => [o.lastTimestamp ? humanDuration((now.getTime() - Date.parse(o.lastTimestamp)) / 1000) : '<unknown>', o.type ?? '', o.reason ?? '', `${(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`, o.message ?? ''],
  },
};

const partial = (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });

/** A meta.k8s.io/v1 Table of `objects`, with each row's object as PartialObjectMetadata (includeObject=Metadata). */
export function toTable(kind: Kind, objects: KubeObject[], resourceVersion: string, now = new Date(), columns = true): Record<string, unknown> {
  const printer = PRINTERS[kind.kind] ?? { columns: [NAME, AGE], row: (o: Any, t: Date) => [o.metadata.name, age(o as KubeObject, t)] };
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion },
    ...(columns ? { columnDefinitions: printer.columns } : {}),
    rows: objects.map((o) => ({ cells: printer.row(o as Any, now), object: partial(o) })),
  };
}
