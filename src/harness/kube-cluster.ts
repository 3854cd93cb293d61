// Kubernetes on a lab run's real nodes (issue 17, phase two): the API server and the
// controllers of src/kube run here, in TypeScript, and act on the nodes through the lab
// run's agent channel:
//   - a Node object per node (its pod CIDR and address from the topology);
//   - the kubelet's runtime is podctl on the chosen node (`podctl run NAME`: the network
//     namespace, the real CNI ADD from the node's /etc/cni/net.d, a web server answering
//     with the pod's name) and `podctl rm NAME` (CNI DEL);
//   - kube-proxy: on every change to Services or EndpointSlices, each node gets the rules
//     of src/kube/proxy/iptables.ts through `iptables-restore --noflush` (stale KUBE-SVC,
//     KUBE-SEP... chains found with iptables-save are flushed and deleted in the same
//     restore), and once, the jumps from the built-in chains (EnsureRule, as upstream).
// It lives in harness, above lab: it needs the lab run's exec; src/kube stays node-free.
import { KubeApi } from '../kube/api.js';
import { NODE, SERVICE, SLICE } from '../kube/controllers/common.js';
import type { PodRef, PodRuntime } from '../kube/controllers/kubelet.js';
import { ControllerManager } from '../kube/controllers/manager.js';
import { JUMPS, proxyRules } from '../kube/proxy/iptables.js';
import type { LabRun } from './lab-run.js';

export interface KubeClusterOptions {
  /** The nodes that join (kubelet and kube-proxy); all of the lab's by default. */
  nodes?: string[];
  /** The pod network (kube-proxy's --cluster-cidr). */
  clusterCIDR?: string;
  api?: KubeApi;
}

/** A name podctl and `ip netns` accept: the pod's, with its namespace unless default. */
const sandboxName = (pod: PodRef) => (pod.namespace === 'default' ? pod.name : `${pod.namespace}.${pod.name}`);
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function podctlRuntime(run: LabRun, nodes: ReadonlySet<string>): PodRuntime {
  return {
    handles: (node) => nodes.has(node),
    start: async (pod) => {
      const labels = Object.entries(pod.labels).map(([k, v]) => `--label ${shellQuote(`${k}=${v}`)}`).join(' ');
      const result = await run.exec(pod.node, `podctl run ${shellQuote(sandboxName(pod))} ${labels}`, { timeout: 60 });
      const ip = /\s(\d+\.\d+\.\d+\.\d+)(\/\d+)?\s*$/.exec(result.stdout)?.[1];
      if (result.exitCode !== 0 || !ip) throw new Error(`podctl run on ${pod.node} failed: ${(result.stderr || result.stdout).trim()}`);
      return { podIP: ip };
    },
    stop: async (pod) => {
      const result = await run.exec(pod.node, `podctl rm ${shellQuote(sandboxName(pod))}`, { timeout: 60 });
      if (result.exitCode !== 0) throw new Error(`podctl rm on ${pod.node} failed: ${result.stderr.trim()}`);
    },
  };
}

interface ProxyState { running: Promise<void> | undefined; again: boolean; hooked: boolean; last: string }

export class KubeCluster {
  readonly api: KubeApi;
  readonly manager: ControllerManager;
  readonly errors: string[] = [];
  /** When each node last had its rules written (ms, performance.now()). */
  readonly synced = new Map<string, number>();
  private readonly proxies = new Map<string, ProxyState>();
  private stopWatch: (() => void) | undefined;

  private constructor(private readonly run: LabRun, private readonly nodes: string[], private readonly clusterCIDR: string, api: KubeApi) {
    this.api = api;
    this.manager = new ControllerManager(api, { runtime: podctlRuntime(run, new Set(nodes)) });
  }

  static async start(run: LabRun, options: KubeClusterOptions = {}): Promise<KubeCluster> {
    const nodes = options.nodes ?? run.nodeNames;
    const cluster = new KubeCluster(run, nodes, options.clusterCIDR ?? '10.244.0.0/16', options.api ?? new KubeApi());
    for (const name of nodes) {
      const node = run.topology.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name} in this lab`);
      if (cluster.api.store.get(NODE.storage, undefined, name)) continue;
      cluster.api.create(NODE, undefined, {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
        spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
        status: { addresses: [{ type: 'InternalIP', address: node.address }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'podwire node' }] },
      });
      cluster.proxies.set(name, { running: undefined, again: false, hooked: false, last: '' });
    }
    cluster.stopWatch = cluster.api.store.watch(undefined, (event) => {
      if (event.storage === 'core/services' || event.storage === 'discovery.k8s.io/endpointslices') cluster.syncProxies();
    });
    cluster.manager.start();
    cluster.syncProxies();
    return cluster;
  }

  /** kube-proxy: rewrite every node's rules (coalesced: a sync asked for while one runs runs once after it). */
  syncProxies(): void {
    for (const [node, state] of this.proxies) {
      if (state.running) { state.again = true; continue; }
      state.running = this.syncNode(node, state).catch((e: Error) => { this.errors.push(`kube-proxy on ${node}: ${e.message}`); }).finally(() => {
        state.running = undefined;
        if (state.again) { state.again = false; this.syncProxies(); }
      });
    }
  }

  private async syncNode(node: string, state: ProxyState): Promise<void> {
    const address = this.run.topology.nodes.find((n) => n.name === node)!.address;
    const services = this.api.list(SERVICE, undefined).items;
    const slices = this.api.list(SLICE, undefined).items;
    const existing = await this.run.exec(node, "iptables-save -t nat | sed -n 's/^:\\(KUBE-[A-Z]*-[A-Z0-9]*\\) .*/\\1/p'");
    const { text } = proxyRules(services, slices, { nodeName: node, nodeIP: address, clusterCIDR: this.clusterCIDR, existingNatChains: existing.stdout.split('\n').filter(Boolean) });
    if (text === state.last && state.hooked) { this.synced.set(node, performance.now()); return; }
    const result = await this.run.exec(node, 'iptables-restore --noflush', { stdin: text, timeout: 60 });
    if (result.exitCode !== 0) throw new Error(`iptables-restore failed: ${result.stderr.trim()}`);
    if (!state.hooked) {
      const hooks = JUMPS.map(([table, chain, rule]) => `iptables -t ${table} -C ${chain} ${rule} 2>/dev/null || iptables -t ${table} -I ${chain} ${rule}`).join('\n');
      const hooked = await this.run.exec(node, hooks, { timeout: 60 });
      if (hooked.exitCode !== 0) throw new Error(`the jumps into kube-proxy's chains failed: ${hooked.stderr.trim()}`);
    }
    state.hooked = true;
    state.last = text;
    this.synced.set(node, performance.now());
  }

  /** Resolves when the controllers are idle, every pod has started or stopped, and every node has its rules. */
  async settle(): Promise<void> {
    for (;;) {
      await this.manager.settle();
      const running = [...this.proxies.values()].map((s) => s.running).filter(Boolean);
      if (!running.length) return;
      await Promise.all(running);
    }
  }

  stop(): void {
    this.stopWatch?.();
    this.manager.stop();
  }
}
