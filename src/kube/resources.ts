// The kinds the API server serves: one row per group/version/resource, as discovery lists them
// (GET /api/v1, /apis/<group>/<version>). Names, short names, verbs and categories are those of
// kube-apiserver v1.21 (`kubectl api-resources` on a real cluster), so kubectl 1.20 resolves
// `svc`, `deploy`, `netpol`, `all` the same way here.

export interface Kind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly verbs: readonly string[];
  readonly categories: readonly string[];
  /** The OpenAPI definition of the kind (src/kube/openapi-v1.21.2.json). */
  readonly definition: string;
  /** Where its objects live: versions of one resource share it (EndpointSlice v1 and v1beta1). */
  readonly storage: string;
  /** The version its objects are stored in; others are converted on the way in and out. */
  readonly storageVersion: string;
  readonly subresources: readonly ('scale' | 'status')[];
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function kind(group: string, version: string, name: string, plural: string, options: { namespaced?: boolean; shortNames?: string[]; categories?: string[]; definition: string; storageVersion?: string; subresources?: ('scale' | 'status')[] }): Kind {
  return {
    group, version, kind: name, plural, singular: name.toLowerCase(), namespaced: options.namespaced ?? true,
    shortNames: options.shortNames ?? [], verbs: CRUD, categories: options.categories ?? [], definition: options.definition,
    storage: `${group || 'core'}/${plural}`, storageVersion: options.storageVersion ?? version, subresources: options.subresources ?? [],
  };
}

export const KINDS: readonly Kind[] = [
  kind('', 'v1', 'Namespace', 'namespaces', { namespaced: false, shortNames: ['ns'], definition: 'io.k8s.api.core.v1.Namespace', subresources: ['status'] }),
  kind('', 'v1', 'Node', 'nodes', { namespaced: false, shortNames: ['no'], definition: 'io.k8s.api.core.v1.Node', subresources: ['status'] }),
  kind('', 'v1', 'Pod', 'pods', { shortNames: ['po'], categories: ['all'], definition: 'io.k8s.api.core.v1.Pod', subresources: ['status'] }),
  kind('', 'v1', 'Service', 'services', { shortNames: ['svc'], categories: ['all'], definition: 'io.k8s.api.core.v1.Service', subresources: ['status'] }),
  kind('', 'v1', 'Endpoints', 'endpoints', { shortNames: ['ep'], definition: 'io.k8s.api.core.v1.Endpoints' }),
  kind('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'], definition: 'io.k8s.api.core.v1.ConfigMap' }),
  kind('', 'v1', 'Event', 'events', { shortNames: ['ev'], definition: 'io.k8s.api.core.v1.Event' }),
  kind('apps', 'v1', 'Deployment', 'deployments', { shortNames: ['deploy'], categories: ['all'], definition: 'io.k8s.api.apps.v1.Deployment', subresources: ['scale', 'status'] }),
  kind('apps', 'v1', 'ReplicaSet', 'replicasets', { shortNames: ['rs'], categories: ['all'], definition: 'io.k8s.api.apps.v1.ReplicaSet', subresources: ['scale', 'status'] }),
  // v1beta1 first, so discovery prefers it: kubectl 1.20 knows EndpointSlice only as
  // v1beta1 (its describer and scheme), and v1 is served too, stored as v1.
  kind('discovery.k8s.io', 'v1beta1', 'EndpointSlice', 'endpointslices', { definition: 'io.k8s.api.discovery.v1beta1.EndpointSlice', storageVersion: 'v1' }),
  kind('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', { definition: 'io.k8s.api.discovery.v1.EndpointSlice' }),
  kind('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', { shortNames: ['netpol'], definition: 'io.k8s.api.networking.v1.NetworkPolicy' }),
];

/** Group versions in discovery order, preferred (storage) version first. */
export function groupVersions(): { group: string; versions: string[] }[] {
  const groups: { group: string; versions: string[] }[] = [];
  for (const k of KINDS) {
    let entry = groups.find((g) => g.group === k.group);
    if (!entry) groups.push(entry = { group: k.group, versions: [] });
    if (!entry.versions.includes(k.version)) entry.versions.push(k.version);
  }
  return groups;
}

export function findKind(group: string, version: string, plural: string): Kind | undefined {
  return KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
}

export const apiVersionOf = (k: Kind): string => (k.group ? `${k.group}/${k.version}` : k.version);

/** The kind a manifest names by its apiVersion and kind (`apps/v1` Deployment), if it is served here. */
export const manifestKind = (apiVersion: string, kind: string): Kind | undefined => KINDS.find((k) => apiVersionOf(k) === apiVersion && k.kind === kind);

/** `pods` or `deployments.apps`: how the API server names a resource in its messages. */
export const qualifiedResource = (k: Kind): string => (k.group ? `${k.plural}.${k.group}` : k.plural);
