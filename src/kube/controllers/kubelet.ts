// The kubelet's part that the API sees: for each pod bound to a node it runs, it asks a
// PodRuntime to start the pod, then reports phase Running, the pod's IP, the node's IP and
// the Ready condition; a pod that is gone from the API is stopped. The runtime is the
// node's business: on a lab's cluster it is podctl on that node (the real CNI ADD and DEL);
// a runtime that only hands out addresses lets the controllers be tested without nodes.
// Readiness probes (probe.ts): a container with a readinessProbe starts not ready; one worker
// per such container ticks on its period, and the probes due on a node go to the runtime in
// one round (one command on the node); a change of readiness is written to the pod's status,
// a failed or errored probe is an Event (reason Unhealthy), as `kubectl describe pod` shows.
// Until a new worker's first probe is in, its pod counts as starting (`pending`): settle()
// waits for it, so a check right after a rollout sees the new pods' first readiness.
import type { KubeApi } from '../api.js';
import { randomHex } from '../random.js';
import { EVENT, isActive, list, NODE, POD, type Any } from './common.js';
import { probeAction, probeTiming, ReadinessWorker, withReadiness, type ProbeAction, type ProbeOutcome } from './probe.js';

export interface PodRef { namespace: string; name: string; uid: string; node: string; labels: Record<string, string> }

export interface PodRuntime {
  /** Which nodes this runtime runs pods on (those with a kubelet). */
  handles(node: string): boolean;
  /** Start the pod on its node; resolves with the pod's IP. */
  start(pod: PodRef, spec: Any): Promise<{ podIP: string }>;
  /** Stop a pod that was started. */
  stop(pod: PodRef): Promise<void>;
  /**
   * Run these probes on `node`, all in one round; resolves with each one's outcome, in order.
   * Without it, containers with a readiness probe are ready once started (nothing probes them).
   */
  probe?(node: string, probes: readonly ProbeRequest[]): Promise<ProbeOutcome[]>;
}

export interface ProbeRequest { pod: PodRef; container: string; action: ProbeAction; timeoutSeconds: number }

/** One container's readiness probe, as the kubelet keeps it. */
interface Prober { pod: PodRef; container: string; action: ProbeAction | { error: string }; worker: ReadinessWorker; first: () => void }

/** How often the kubelet looks for due probes (ms): the probes' periods are whole seconds. */
const PROBE_TICK = 250;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Kubelet {
  /** Pods started or starting, by uid. */
  private readonly running = new Map<string, PodRef>();
  private readonly busy = new Set<Promise<unknown>>();
  /** Readiness workers by pod uid and container name. */
  private readonly probers = new Map<string, Prober>();
  /** Nodes with a probe round under way. */
  private readonly rounds = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private api: KubeApi | undefined;
  readonly errors: string[] = [];
  /** Each probe round's duration (ms) and size, the latest last (kept short): what probing costs a node. */
  readonly roundTimes: { node: string; probes: number; ms: number }[] = [];

  constructor(private readonly runtime: PodRuntime, private readonly kick: () => void, private readonly clock: () => number = () => performance.now()) {}

  /** Stop probing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const p of this.probers.values()) p.first();
    this.probers.clear();
  }

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
        const containers = (pod.spec?.containers ?? []) as Any[];
        // A container with a readiness probe starts not ready (when something probes it).
        const probed = (c: Any) => Boolean(c.readinessProbe && this.runtime.probe);
        const base = {
          ...(current.status as Any),
          phase: 'Running', podIP, podIPs: [{ ip: podIP }], ...(hostIP ? { hostIP } : {}), startTime: started,
          conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
          containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: started } } })),
        };
        const status = withReadiness(base, new Map(containers.map((c) => [c.name as string, !probed(c)])), started) ?? base;
        api.update(POD, ref.namespace, ref.name, { ...current, status }, { subresource: 'status' });
      }, (e: Error) => {
        this.errors.push(`start ${ref.namespace}/${ref.name}: ${e.message}`);
        const current = api.store.get(POD.storage, ref.namespace, ref.name);
        if (current && current.metadata.uid === ref.uid) api.update(POD, ref.namespace, ref.name, { ...current, status: { ...(current.status as Any), phase: 'Failed', reason: 'StartError', message: e.message } }, { subresource: 'status' });
      }));
    }
    this.syncProbers(api, pods);
  }

  /** A worker for each readiness probe of a running pod on a node this kubelet runs; the others' go. */
  private syncProbers(api: KubeApi, pods: Any[]): void {
    if (!this.runtime.probe) return;
    this.api = api;
    const wanted = new Set<string>();
    for (const pod of pods) {
      const node = pod.spec?.nodeName as string | undefined;
      if (!node || !this.runtime.handles(node) || pod.status?.phase !== 'Running' || !pod.status?.podIP) continue;
      for (const c of (pod.spec?.containers ?? []) as Any[]) {
        if (!c.readinessProbe) continue;
        const key = `${pod.metadata.uid}/${c.name}`;
        wanted.add(key);
        if (this.probers.has(key)) continue;
        const cs = ((pod.status.containerStatuses ?? []) as Any[]).find((s) => s.name === c.name);
        const startedAt = Date.parse(cs?.state?.running?.startedAt ?? pod.status.startTime ?? '');
        const now = this.clock();
        // How long ago the container started, on this kubelet's clock.
        const started = Number.isNaN(startedAt) ? now : now - Math.max(0, Date.now() - startedAt);
        // A pod started by an earlier kubelet (a restored run) keeps the readiness it had.
        const initial = !this.running.has(pod.metadata.uid) && Boolean(cs?.ready);
        let first!: () => void;
        this.track(new Promise<void>((resolve) => { first = resolve; }));
        this.probers.set(key, {
          pod: { namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, node, labels: pod.metadata.labels ?? {} },
          container: c.name, action: probeAction(c.readinessProbe, c, pod.status.podIP),
          worker: new ReadinessWorker(probeTiming(c.readinessProbe), started, now, initial), first,
        });
      }
    }
    for (const [key, p] of this.probers) if (!wanted.has(key)) { p.first(); this.probers.delete(key); }
    if (this.probers.size && !this.timer) {
      this.timer = setInterval(() => this.tick(), PROBE_TICK);
      this.timer.unref?.();
    } else if (!this.probers.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The probes due now, one round per node (a node whose last round still runs waits for it). */
  private tick(): void {
    const now = this.clock();
    const due = new Map<string, Prober[]>();
    for (const p of this.probers.values()) {
      if (this.rounds.has(p.pod.node) || !p.worker.due(now)) continue;
      due.set(p.pod.node, [...(due.get(p.pod.node) ?? []), p]);
    }
    for (const [node, probers] of due) void this.round(node, probers);
  }

  private async round(node: string, probers: Prober[]): Promise<void> {
    this.rounds.add(node);
    const start = this.clock();
    const sent = probers.filter((p) => !('error' in p.action));
    let outcomes: ProbeOutcome[] = [];
    try {
      outcomes = sent.length ? await this.runtime.probe!(node, sent.map((p) => ({ pod: p.pod, container: p.container, action: p.action as ProbeAction, timeoutSeconds: p.worker.timing.timeoutSeconds }))) : [];
    } catch (e) {
      this.errors.push(`probes on ${node}: ${(e as Error).message}`);
      outcomes = sent.map(() => ({ result: 'error', message: (e as Error).message }));
    } finally {
      this.rounds.delete(node);
    }
    if (sent.length) this.roundTimes.push({ node, probes: sent.length, ms: this.clock() - start });
    if (this.roundTimes.length > 100) this.roundTimes.splice(0, this.roundTimes.length - 100);
    const changed = new Set<string>();
    for (const p of probers) {
      if (this.probers.get(`${p.pod.uid}/${p.container}`) !== p) continue; // gone meanwhile
      const outcome = 'error' in p.action ? { result: 'error' as const, message: p.action.error } : outcomes[sent.indexOf(p)] ?? { result: 'error' as const, message: 'no result' };
      if (p.worker.record(outcome.result)) changed.add(p.pod.uid);
      if (outcome.result !== 'success' && this.api) unhealthy(this.api, p, outcome);
    }
    if (this.api) for (const uid of changed) this.writeReadiness(this.api, uid);
    for (const p of probers) p.first();
  }

  /** The pod's containers' readiness into its status. */
  private writeReadiness(api: KubeApi, uid: string): void {
    const pod = [...this.probers.values()].find((p) => p.pod.uid === uid)?.pod;
    if (!pod) return;
    const current = api.store.get(POD.storage, pod.namespace, pod.name) as Any | undefined;
    if (!current || current.metadata.uid !== uid || !current.status) return;
    const ready = new Map<string, boolean>();
    for (const p of this.probers.values()) if (p.pod.uid === uid) ready.set(p.container, p.worker.ready);
    const status = withReadiness(current.status, ready, now());
    if (status) api.update(POD, pod.namespace, pod.name, { ...current, status }, { subresource: 'status' });
  }
}

/**
 * The Event of a failed or errored probe (reason Unhealthy, as prober.go records it), counted
 * up while the same message repeats (as the event recorder's aggregation does).
 */
function unhealthy(api: KubeApi, p: Prober, outcome: ProbeOutcome): void {
  const message = `Readiness probe ${outcome.result === 'error' ? 'errored' : 'failed'}: ${outcome.message}`;
  const time = now();
  const same = list(api, EVENT, p.pod.namespace).find((e) => e.involvedObject?.uid === p.pod.uid && e.reason === 'Unhealthy' && e.message === message);
  if (same) {
    api.update(EVENT, p.pod.namespace, same.metadata.name, { ...same, count: (same.count ?? 1) + 1, lastTimestamp: time });
    return;
  }
  api.create(EVENT, p.pod.namespace, {
    metadata: { name: `${p.pod.name}.${Date.now().toString(16)}${randomHex(2)}`, namespace: p.pod.namespace },
    involvedObject: { kind: 'Pod', namespace: p.pod.namespace, name: p.pod.name, uid: p.pod.uid, apiVersion: 'v1', fieldPath: `spec.containers{${p.container}}` },
    reason: 'Unhealthy', message, source: { component: 'kubelet', host: p.pod.node },
    firstTimestamp: time, lastTimestamp: time, count: 1, type: 'Warning', reportingComponent: '', reportingInstance: '',
  });
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
