// Discovery: how kubectl learns which resources exist before it does anything else
// (GET /api, /apis, /api/v1, /apis/<group>/<version>; client-go's discovery client caches the
// answers under ~/.kube/cache). The shapes are meta/v1 APIVersions, APIGroupList and
// APIResourceList, as kube-apiserver v1.21 serves them.
import { apiVersionOf, groupVersions, KINDS } from './resources.js';

export const VERSION = {
  major: '1', minor: '21', gitVersion: 'v1.21.2-podwire', gitCommit: '', gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z', goVersion: 'n/a (TypeScript)', compiler: 'podwire', platform: 'linux/386',
};

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function groupList(): Record<string, unknown> {
  const groups = groupVersions().filter((g) => g.group !== '').map(({ group, versions }) => {
    const all = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { name: group, versions: all, preferredVersion: all[0] };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function resourceList(group: string, version: string): Record<string, unknown> | undefined {
  const kinds = KINDS.filter((k) => k.group === group && k.version === version);
  if (!kinds.length) return undefined;
  const resources = kinds.flatMap((k) => [
    {
      name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: k.verbs,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}), ...(k.categories.length ? { categories: k.categories } : {}),
    },
    // deployments/scale names its own kind, autoscaling/v1 Scale, which `kubectl scale` reads.
    ...k.subresources.map((sub) => sub === 'scale'
      ? { name: `${k.plural}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }
      : { name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] }),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(kinds[0]!), resources };
}
