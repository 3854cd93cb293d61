// The ReplicaSet controller (pkg/controller/replicaset): each ReplicaSet keeps
// spec.replicas active pods that match its selector. It adopts matching pods that no
// controller owns, makes the missing ones from its template (named RS-xxxxx, with a
// controller owner reference), and deletes the surplus in upstream's order of preference
// (controller.ActivePods: not yet scheduled, then Pending, then not ready, then the
// newest). Its status counts them.
import type { KubeApi } from '../api.js';
import { selectorMatcher } from '../selectors.js';
import { controllerOf, controllerRef, isActive, isReady, list, POD, REPLICASET, type Any, type Plain } from './common.js';

/** Lower goes first when scaling down. */
function deletionRank(pod: Any): number[] {
  const phase = { Pending: 1, Unknown: 0, Running: 2 }[pod.status?.phase as string] ?? 0;
  return [pod.spec?.nodeName ? 1 : 0, phase, isReady(pod) ? 1 : 0, -Date.parse(pod.metadata.creationTimestamp ?? 0)];
}

export function reconcileReplicaSets(api: KubeApi): void {
  for (const rs of list(api, REPLICASET)) {
    if (rs.metadata.deletionTimestamp) continue;
    const ns = rs.metadata.namespace as string;
    let matches: (labels: Record<string, string> | undefined) => boolean;
    try { matches = selectorMatcher(rs.spec?.selector); } catch { continue; }
    const pods = list(api, POD, ns);
    for (const orphan of pods.filter((p) => !controllerOf(p) && isActive(p) && matches(p.metadata.labels))) {
      api.update(POD, ns, orphan.metadata.name, { ...orphan, metadata: { ...orphan.metadata, ownerReferences: [...(orphan.metadata.ownerReferences ?? []), controllerRef(rs)] } });
    }
    const mine = list(api, POD, ns).filter((p) => controllerOf(p)?.uid === rs.metadata.uid && isActive(p));
    const want = rs.spec?.replicas ?? 1;
    const template = rs.spec?.template ?? {};
    for (let i = mine.length; i < want; i++) {
      api.create(POD, ns, {
        metadata: { generateName: `${rs.metadata.name}-`, namespace: ns, labels: { ...template.metadata?.labels }, ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}), ownerReferences: [controllerRef(rs)] },
        spec: structuredClone(template.spec ?? {}),
      });
    }
    if (mine.length > want) {
      const ranked = [...mine].sort((a, b) => {
        const [x, y] = [deletionRank(a), deletionRank(b)];
        for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
        return 0;
      });
      for (const pod of ranked.slice(0, mine.length - want)) api.delete(POD, ns, pod.metadata.name);
    }
    const now = list(api, POD, ns).filter((p) => controllerOf(p)?.uid === rs.metadata.uid && isActive(p));
    const ready = now.filter(isReady).length;
    const status: Plain = { replicas: now.length, fullyLabeledReplicas: now.filter((p) => matches(p.metadata.labels)).length, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation };
    for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']) if (status[k] === 0) delete status[k];
    if (JSON.stringify(rs.status) !== JSON.stringify(status)) api.update(REPLICASET, ns, rs.metadata.name, { ...rs, status }, { subresource: 'status' });
  }
}
