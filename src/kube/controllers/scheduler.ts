// The scheduler, cut down (pkg/scheduler): a pod without spec.nodeName is bound to a node.
// Filters first: the node is not cordoned (spec.unschedulable), not NotReady, and carries
// every label of the pod's nodeSelector. A pod that names its node (spec.nodeName) skips the
// scheduler altogether, as upstream. Then the score: the node with the fewest pods of the
// same owner, then the fewest pods, then by name (upstream's PodTopologySpread and
// NodeResourcesBalancedAllocation, reduced to counting). A pod that fits nowhere gets the
// PodScheduled=False condition with upstream's message.
import type { KubeApi } from '../api.js';
import { controllerOf, isActive, list, NODE, POD, type Any } from './common.js';

function notReady(node: Any): boolean {
  return (node.status?.conditions ?? []).some((c: Any) => c.type === 'Ready' && c.status !== 'True');
}

export function schedule(api: KubeApi): void {
  const nodes = list(api, NODE);
  const pods = list(api, POD);
  const placed = pods.filter((p) => p.spec?.nodeName && isActive(p));
  for (const pod of pods) {
    if (pod.spec?.nodeName || !isActive(pod)) continue;
    const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
    const reasons = new Map<string, number>();
    const note = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const fits = nodes.filter((n) => {
      if (n.spec?.unschedulable) { note('node(s) were unschedulable'); return false; }
      if (notReady(n)) { note('node(s) had untolerated taint {node.kubernetes.io/not-ready: }'); return false; }
      if (!Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v)) { note("node(s) didn't match Pod's node affinity/selector"); return false; }
      return true;
    });
    const ns = pod.metadata.namespace as string;
    if (!fits.length) {
      const detail = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([r, n]) => ` ${n} ${r}.`).join('');
      const message = `0/${nodes.length} nodes are available:${detail || ' no nodes available to schedule pods.'}`;
      const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message };
      const old = (pod.status?.conditions ?? []).find((c: Any) => c.type === 'PodScheduled');
      if (!old || old.message !== message) {
        api.update(POD, ns, pod.metadata.name, { ...pod, status: { ...pod.status, conditions: [condition] } }, { subresource: 'status' });
      }
      continue;
    }
    const owner = controllerOf(pod)?.uid;
    const score = (n: Any) => {
      const here = placed.filter((p) => p.spec.nodeName === n.metadata.name);
      return [owner ? here.filter((p) => controllerOf(p)?.uid === owner).length : 0, here.length];
    };
    const best = [...fits].sort((a, b) => {
      const [x, y] = [score(a), score(b)];
      return x[0]! - y[0]! || x[1]! - y[1]! || String(a.metadata.name).localeCompare(String(b.metadata.name));
    })[0]!;
    // The binding (pods/binding in upstream): spec.nodeName set once, and PodScheduled=True.
    const bound = api.update(POD, ns, pod.metadata.name, { ...pod, metadata: { ...pod.metadata }, spec: { ...pod.spec, nodeName: best.metadata.name } }) as Any;
    api.update(POD, ns, pod.metadata.name, { ...bound, status: { ...bound.status, conditions: [{ type: 'PodScheduled', status: 'True' }] } }, { subresource: 'status' });
    placed.push(bound);
  }
}
