// The kubelet's part that the API sees: for each pod bound to a node it runs, it asks a
// PodRuntime to start the pod, then reports phase Running, the pod's IP, the node's IP and
// the Ready condition; a pod that is gone from the API is stopped. The runtime is the
// node's business: on a lab's cluster it is podctl on that node (the real CNI ADD and DEL);
// a runtime that only hands out addresses lets the controllers be tested without nodes.
import type { KubeApi } from '../api.js';
import { isActive, list, NODE, POD, type Any } from './common.js';

export interface PodRef { namespace: string; name: string; uid: string; node: string; labels: Record<string, string> }

export interface PodRuntime {
  /** Which nodes this runtime runs pods on (those with a kubelet). */
  handles(node: string): boolean;
  /** Start the pod on its node; resolves with the pod's IP. */
  start(pod: PodRef, spec: Any): Promise<{ podIP: string }>;
  /** Stop a pod that was started. */
  stop(pod: PodRef): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Kubelet {
  /** Pods started or starting, by uid. */
  private readonly running = new Map<string, PodRef>();
  private readonly busy = new Set<Promise<unknown>>();
  readonly errors: string[] = [];

  constructor(private readonly runtime: PodRuntime, private readonly kick: () => void) {}

  /** Work still under way (starts and stops): awaited by ControllerManager.settle(). */
  get pending(): Promise<unknown> | undefined {
    return this.busy.size ? Promise.allSettled([...this.busy]) : undefined;
  }

  private track(work: Promise<unknown>): void {
    this.busy.add(work);
    void work.finally(() => { this.busy.delete(work); this.kick(); });
  }

  reconcile(api: KubeApi): void {
    const pods = list(api, POD);
    const live = new Set(pods.filter(isActive).map((p) => p.metadata.uid as string));
    for (const [uid, ref] of this.running) {
      if (live.has(uid)) continue;
      this.running.delete(uid);
      this.track(this.runtime.stop(ref).catch((e: Error) => { this.errors.push(`stop ${ref.namespace}/${ref.name}: ${e.message}`); }));
    }
    const nodes = new Map(list(api, NODE).map((n) => [n.metadata.name as string, n]));
    for (const pod of pods) {
      const node = pod.spec?.nodeName as string | undefined;
      if (!node || !isActive(pod) || !this.runtime.handles(node) || this.running.has(pod.metadata.uid)) continue;
      if (pod.status?.phase && pod.status.phase !== 'Pending') continue; // started by an earlier kubelet (a restored run)
      const ref: PodRef = { namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, node, labels: pod.metadata.labels ?? {} };
      this.running.set(ref.uid, ref);
      const hostIP = (nodes.get(node)?.status?.addresses ?? []).find((a: Any) => a.type === 'InternalIP')?.address;
      this.track(this.runtime.start(ref, pod.spec).then(({ podIP }) => {
        const current = api.store.get(POD.storage, ref.namespace, ref.name);
        if (!current || current.metadata.uid !== ref.uid) return;
        const started = now();
        const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started });
        const status = {
          ...(current.status as Any),
          phase: 'Running', podIP, podIPs: [{ ip: podIP }], ...(hostIP ? { hostIP } : {}), startTime: started,
          conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
          containerStatuses: ((pod.spec?.containers ?? []) as Any[]).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } })),
        };
        api.update(POD, ref.namespace, ref.name, { ...current, status }, { subresource: 'status' });
      }, (e: Error) => {
        this.errors.push(`start ${ref.namespace}/${ref.name}: ${e.message}`);
        const current = api.store.get(POD.storage, ref.namespace, ref.name);
        if (current && current.metadata.uid === ref.uid) api.update(POD, ref.namespace, ref.name, { ...current, status: { ...(current.status as Any), phase: 'Failed', reason: 'StartError', message: e.message } }, { subresource: 'status' });
      }));
    }
  }
}

/**
 * A runtime with no dataplane: each node's pods get the next address of the node's
 * spec.podCIDR (.2 upwards), nothing runs. For tests of the controllers without nodes.
 */
export function addressOnlyRuntime(api: KubeApi): PodRuntime {
  const next = new Map<string, number>();
  return {
    handles: (node) => Boolean(api.store.get(NODE.storage, undefined, node)),
    start: async (pod) => {
      const node = api.store.get(NODE.storage, undefined, pod.node) as Any | undefined;
      const cidr: string = node?.spec?.podCIDR ?? '10.244.0.0/24';
      const base = cidr.split('/')[0]!.split('.').map(Number);
      const host = (next.get(pod.node) ?? 1) + 1;
      next.set(pod.node, host);
      return { podIP: [base[0], base[1], base[2], (base[3] ?? 0) + host].join('.') };
    },
    stop: async () => {},
  };
}
