// The garbage collector: an object whose owners (metadata.ownerReferences) are all gone is
// deleted, as upstream's garbage collector does with background propagation
// (pkg/controller/garbagecollector: "an object is garbage when none of its owners exist").
// Owners are found by uid, so a new object of the same name does not adopt the dependents
// of the old one. Deleting a Deployment so takes its ReplicaSets, and they their Pods.
import type { KubeApi } from '../api.js';
import { KINDS } from '../resources.js';
import type { OwnerReference } from './common.js';

export function collectGarbage(api: KubeApi): void {
  const stored = KINDS.filter((k) => k.version === k.storageVersion);
  const uids = new Set<string>();
  for (const k of stored) for (const o of api.store.list(k.storage)) if (o.metadata.uid) uids.add(o.metadata.uid);
  for (const k of stored) {
    for (const o of api.store.list(k.storage)) {
      const owners = (o.metadata.ownerReferences ?? []) as OwnerReference[];
      if (!owners.length || owners.some((r) => uids.has(r.uid))) continue;
      api.delete(k, o.metadata.namespace, o.metadata.name ?? '');
      uids.delete(o.metadata.uid ?? '');
    }
  }
}
