// The Deployment controller (pkg/controller/deployment), cut down: each Deployment owns one
// ReplicaSet per pod template, named DEPLOYMENT-HASH where HASH is the pod-template-hash
// (ComputeHash: FNV-32a of the template, spelt with SafeEncodeString's consonants and
// digits). The ReplicaSet of the current template gets spec.replicas; older ones are
// scaled to 0 at once (a Recreate, not a rolling update: maxSurge and maxUnavailable are
// not honoured). The Deployment's status counts the pods of its ReplicaSets.
import type { KubeApi } from '../api.js';
import { controllerOf, controllerRef, DEPLOYMENT, list, REPLICASET, type Any, type Plain } from './common.js';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-32a (hash/fnv's New32a). */
function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The pod-template-hash label value. Upstream hashes the Go struct with a deep printer;
 * this hashes the template's JSON with sorted keys, so the value differs from a real
 * cluster's but changes exactly when the template does. Spelt as upstream: the decimal
 * digits of the 32-bit hash, each mapped through rand.SafeEncodeString's alphabet.
 */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Any)[k])])) : v);
  const digits = String(fnv32a(JSON.stringify(sorted(template)) + (collisionCount ? String(collisionCount) : '')));
  return [...digits].map((d) => SAFE[d.charCodeAt(0) % SAFE.length]).join('');
}

export function reconcileDeployments(api: KubeApi): void {
  const sets = list(api, REPLICASET);
  for (const d of list(api, DEPLOYMENT)) {
    if (d.metadata.deletionTimestamp) continue;
    const ns = d.metadata.namespace as string;
    const owned = sets.filter((rs) => rs.metadata.namespace === ns && controllerOf(rs)?.uid === d.metadata.uid);
    const template = d.spec?.template ?? {};
    const hash = podTemplateHash(template);
    const name = `${d.metadata.name}-${hash}`;
    const replicas = d.spec?.replicas ?? 1;
    const current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    if (!current) {
      api.create(REPLICASET, ns, {
        metadata: {
          name, namespace: ns,
          labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/revision': String(owned.length + 1) },
          ownerReferences: [controllerRef(d)],
        },
        spec: {
          replicas,
          selector: { ...d.spec?.selector, matchLabels: { ...d.spec?.selector?.matchLabels, 'pod-template-hash': hash } },
          template: { ...template, metadata: { ...template.metadata, labels: { ...template.metadata?.labels, 'pod-template-hash': hash } } },
        },
      });
    } else if (current.spec?.replicas !== replicas) {
      api.update(REPLICASET, ns, current.metadata.name, { ...current, spec: { ...current.spec, replicas }, metadata: { ...current.metadata } });
    }
    for (const old of owned) {
      if (old === current || (old.spec?.replicas ?? 0) === 0) continue;
      api.update(REPLICASET, ns, old.metadata.name, { ...old, spec: { ...old.spec, replicas: 0 }, metadata: { ...old.metadata } });
    }
    const all = list(api, REPLICASET, ns).filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
    const now = all.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const sum = (field: string) => all.reduce((n, rs) => n + (rs.status?.[field] ?? 0), 0);
    const total = sum('replicas');
    const available = sum('availableReplicas');
    const status: Plain = {
      observedGeneration: d.metadata.generation,
      replicas: total,
      updatedReplicas: now?.status?.replicas ?? 0,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      ...(total - available > 0 ? { unavailableReplicas: total - available } : {}),
      conditions: [{ type: 'Available', status: available >= replicas ? 'True' : 'False', reason: available >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: available >= replicas ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.' }],
    };
    for (const k of Object.keys(status)) if (status[k] === 0) delete status[k]; // as upstream's omitempty
    if (JSON.stringify(d.status) !== JSON.stringify(status)) {
      api.update(DEPLOYMENT, ns, d.metadata.name, { ...d, status }, { subresource: 'status' });
    }
  }
}
