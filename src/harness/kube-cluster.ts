// Kubernetes on a lab run's real nodes (issue 17, phase two): the API server and the
// controllers of src/kube run here, in TypeScript, and act on the nodes through the lab
// run's agent channel:
//   - a Node object per node (its pod CIDR and address from the topology);
//   - the kubelet's runtime is podctl on the chosen node (`podctl run NAME`: the network
//     namespace, the real CNI ADD from the node's /etc/cni/net.d, a web server answering
//     with the pod's name) and `podctl rm NAME` (CNI DEL); its readiness probes run on the
//     node, one command per node and probe round (harness/kube-probe);
//   - kube-proxy: on every change to Services or EndpointSlices, each node gets the rules
//     of src/kube/proxy/iptables.ts through `iptables-restore --noflush` (stale KUBE-SVC,
//     KUBE-SEP... chains found with iptables-save are flushed and deleted in the same
//     restore), and once, the jumps from the built-in chains (EnsureRule, as upstream);
//   - NetworkPolicy: on every change to policies, pods or namespaces, each node gets the
//     filter rules of src/kube/policy/iptables.ts for its own pods the same way, and the
//     jump to KUBE-NWPLCY-FORWARD is kept first in FORWARD (before kube-proxy's KUBE-FORWARD);
//   - DNS (option `dns`): a Pod coredns in kube-system running dnsmasq, as lab 13 (cluster-dns)
//     runs it, behind the Service kube-dns at 10.96.0.10; on every change to Services or
//     EndpointSlices its node gets the records of src/kube/dns/records.ts in /etc/coredns
//     (hosts: a SIGHUP rereads it; srv.conf: dnsmasq reads it only when it starts, so it is
//     restarted), and each pod the kubelet starts gets the resolv.conf the kubelet writes.
// It lives in harness, above lab: it needs the lab run's exec; src/kube stays node-free.
import { KubeApi } from '../kube/api.js';
import { NAMESPACE, NETWORKPOLICY, NODE, POD, SERVICE, SLICE, type Any } from '../kube/controllers/common.js';
import type { PodRef, PodRuntime } from '../kube/controllers/kubelet.js';
import { ControllerManager } from '../kube/controllers/manager.js';
import { dnsRecords } from '../kube/dns/records.js';
import { POLICY_JUMP, policyRules } from '../kube/policy/iptables.js';
import { JUMPS, proxyRules } from '../kube/proxy/iptables.js';
import { parseProbeOutput, probeScript } from './kube-probe.js';
import type { LabRun } from './lab-run.js';
import { shellQuote } from './scripts.js';

export interface KubeClusterOptions {
  /** The nodes that join (kubelet and kube-proxy); all of the lab's by default. */
  nodes?: string[];
  /** The pod network (kube-proxy's --cluster-cidr). */
  clusterCIDR?: string;
  api?: KubeApi;
  /** The cluster DNS: a coredns pod (dnsmasq) behind kube-dns at `clusterIP` (10.96.0.10), on `node` (the scheduler's choice by default). */
  dns?: { clusterIP?: string; node?: string; zone?: string };
}

/** The DNS server of the coredns pod: lab 13's dnsmasq, restarted whenever it ends (that is how new SRV records are read). */
const DNS_COMMAND = 'mkdir -p /etc/coredns; touch /etc/coredns/hosts /etc/coredns/srv.conf; '
  + 'while true; do dnsmasq -k --user=root --no-resolv --no-hosts --local=/ZONE/ --addn-hosts=/etc/coredns/hosts '
  + '--conf-file=/etc/coredns/srv.conf --pid-file=/run/coredns.pid --log-queries --log-facility=/var/log/coredns.log; sleep 1; done';

/** A name podctl and `ip netns` accept: the pod's, with its namespace unless default. */
const sandboxName = (pod: PodRef) => (pod.namespace === 'default' ? pod.name : `${pod.namespace}.${pod.name}`);

/** The resolv.conf the kubelet writes for a pod with dnsPolicy ClusterFirst (pkg/kubelet/network/dns). */
export const podResolvConf = (namespace: string, nameserver: string, zone = 'cluster.local') =>
  `nameserver ${nameserver}\nsearch ${namespace}.svc.${zone} svc.${zone} ${zone}\noptions ndots:5\n`;

function podctlRuntime(run: LabRun, nodes: ReadonlySet<string>, dns: { clusterIP: string; zone: string } | undefined): PodRuntime {
  return {
    handles: (node) => nodes.has(node),
    start: async (pod, spec) => {
      const labels = Object.entries(pod.labels).map(([k, v]) => `--label ${shellQuote(`${k}=${v}`)}`).join(' ');
      // The first container's command and args, as `podctl run ... -- COMMAND` (none: podctl's web server).
      const container = (spec.containers ?? [])[0] as Any | undefined;
      const argv: string[] = [...(container?.command ?? []), ...(container?.args ?? [])];
      const command = argv.length ? ` -- ${argv.map(shellQuote).join(' ')}` : '';
      // `ip netns exec NAME` mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf: the kubelet's file for the pod.
      if (dns && (spec.dnsPolicy ?? 'ClusterFirst') === 'ClusterFirst' && !spec.hostNetwork) {
        const written = await run.exec(pod.node, `mkdir -p /etc/netns/${shellQuote(sandboxName(pod))} && cat >/etc/netns/${shellQuote(sandboxName(pod))}/resolv.conf`, { stdin: podResolvConf(pod.namespace, dns.clusterIP, dns.zone), timeout: 30 });
        if (written.exitCode !== 0) throw new Error(`resolv.conf for ${pod.name} on ${pod.node}: ${written.stderr.trim()}`);
      }
      const result = await run.exec(pod.node, `podctl run ${shellQuote(sandboxName(pod))} ${labels}${command}`, { timeout: 60 });
      const ip = /\s(\d+\.\d+\.\d+\.\d+)(\/\d+)?\s*$/.exec(result.stdout)?.[1];
      if (result.exitCode !== 0 || !ip) throw new Error(`podctl run on ${pod.node} failed: ${(result.stderr || result.stdout).trim()}`);
      return { podIP: ip };
    },
    stop: async (pod) => {
      const result = await run.exec(pod.node, `podctl rm ${shellQuote(sandboxName(pod))} && rm -rf /etc/netns/${shellQuote(sandboxName(pod))}`, { timeout: 60 });
      if (result.exitCode !== 0) throw new Error(`podctl rm on ${pod.node} failed: ${result.stderr.trim()}`);
    },
    // The round's readiness probes in one command on the node (harness/kube-probe).
    probe: async (node, probes) => {
      const longest = Math.max(...probes.map((p) => p.timeoutSeconds));
      const result = await run.exec(node, probeScript(probes, sandboxName), { timeout: longest + 30 });
      return parseProbeOutput(result.stdout, probes.length);
    },
  };
}

type Part = 'proxy' | 'policy';

/** One node's writers: kube-proxy's rules, then the policy rules, one sync at a time; asked for while one runs, they run once after it. */
interface NodeState { running: Promise<void> | undefined; wanted: Set<Part>; hooked: boolean; last: string; policyLast: string; policyHooked: boolean }

const PROXY_STORAGE = new Set(['core/services', 'discovery.k8s.io/endpointslices']);
const POLICY_STORAGE = new Set(['networking.k8s.io/networkpolicies', 'core/pods', 'core/namespaces']);

export class KubeCluster {
  readonly api: KubeApi;
  readonly manager: ControllerManager;
  readonly errors: string[] = [];
  /** When each node last had its kube-proxy rules written (ms, performance.now()). */
  readonly synced = new Map<string, number>();
  /** When each node last had its NetworkPolicy rules written. */
  readonly policySynced = new Map<string, number>();
  private readonly states = new Map<string, NodeState>();
  private readonly dns: { clusterIP: string; node?: string; zone: string } | undefined;
  private dnsRun: { running: Promise<void> | undefined; again: boolean; hosts: string; srv: string; node: string } = { running: undefined, again: false, hosts: '', srv: '', node: '' };
  private stopWatch: (() => void) | undefined;

  private constructor(private readonly run: LabRun, private readonly nodes: string[], private readonly clusterCIDR: string, api: KubeApi, options: KubeClusterOptions) {
    this.api = api;
    this.dns = options.dns ? { clusterIP: options.dns.clusterIP ?? '10.96.0.10', zone: options.dns.zone ?? 'cluster.local', ...(options.dns.node ? { node: options.dns.node } : {}) } : undefined;
    this.manager = new ControllerManager(api, { runtime: podctlRuntime(run, new Set(nodes), this.dns) });
  }

  static async start(run: LabRun, options: KubeClusterOptions = {}): Promise<KubeCluster> {
    const nodes = options.nodes ?? run.nodeNames;
    const cluster = new KubeCluster(run, nodes, options.clusterCIDR ?? '10.244.0.0/16', options.api ?? new KubeApi(), options);
    // The objects live with the lab run: saved and restored with its nodes (objects saved with them come back now), read by object checks.
    run.attachKube(cluster.api.store);
    for (const name of nodes) {
      const node = run.topology.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name} in this lab`);
      cluster.states.set(name, { running: undefined, wanted: new Set(), hooked: false, last: '', policyLast: '', policyHooked: false });
      if (cluster.api.store.get(NODE.storage, undefined, name)) continue;
      cluster.api.create(NODE, undefined, {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
        spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
        status: { addresses: [{ type: 'InternalIP', address: node.address }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'podwire node' }] },
      });
    }
    if (cluster.dns) cluster.addDns(cluster.dns);
    cluster.stopWatch = cluster.api.store.watch(undefined, (event) => {
      if (PROXY_STORAGE.has(event.storage)) cluster.sync(['proxy']);
      if (POLICY_STORAGE.has(event.storage)) cluster.sync(['policy']);
      if (cluster.dns && (PROXY_STORAGE.has(event.storage) || event.storage === 'core/pods')) cluster.syncDns();
    });
    cluster.manager.start();
    cluster.sync(['proxy', 'policy']);
    if (cluster.dns) cluster.syncDns();
    return cluster;
  }

  /** The cluster DNS's objects, as kubeadm's CoreDNS addon makes them: a pod labelled k8s-app=kube-dns, and the kube-dns Service. */
  private addDns(dns: { clusterIP: string; node?: string; zone: string }): void {
    if (!this.api.store.get(POD.storage, 'kube-system', 'coredns')) {
      this.api.create(POD, 'kube-system', {
        metadata: { name: 'coredns', labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          ...(dns.node ? { nodeName: dns.node } : {}), dnsPolicy: 'Default',
          containers: [{ name: 'coredns', image: 'dnsmasq', command: ['sh', '-c', DNS_COMMAND.replace('ZONE', dns.zone)], ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] }],
        },
      });
    }
    if (!this.api.store.get(SERVICE.storage, 'kube-system', 'kube-dns')) {
      this.api.create(SERVICE, 'kube-system', {
        metadata: { name: 'kube-dns', labels: { 'k8s-app': 'kube-dns' } },
        spec: { clusterIP: dns.clusterIP, selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }] },
      });
    }
  }

  /** Rewrite every node's rules of these parts (coalesced per node). */
  sync(parts: Part[]): void {
    for (const [node, state] of this.states) {
      for (const part of parts) state.wanted.add(part);
      if (state.running) continue;
      state.running = (async () => {
        while (state.wanted.size) {
          const now = new Set(state.wanted);
          state.wanted.clear();
          // kube-proxy first: the policy jump goes in front of the jumps it adds.
          if (now.has('proxy')) await this.syncProxy(node, state).catch((e: Error) => { this.errors.push(`kube-proxy on ${node}: ${e.message}`); });
          if (now.has('policy')) await this.syncPolicy(node, state).catch((e: Error) => { this.errors.push(`network policy on ${node}: ${e.message}`); });
        }
      })().finally(() => {
        state.running = undefined;
        if (state.wanted.size) this.sync([]);
      });
    }
  }

  /** kube-proxy: rewrite every node's rules. */
  syncProxies(): void {
    this.sync(['proxy']);
  }

  private async syncProxy(node: string, state: NodeState): Promise<void> {
    const address = this.run.topology.nodes.find((n) => n.name === node)!.address;
    const services = this.api.list(SERVICE, undefined).items;
    const slices = this.api.list(SLICE, undefined).items;
    const existingNatChains = await this.kubeChains(node, 'nat', 'KUBE-[A-Z]*-[A-Z0-9]*');
    const { text } = proxyRules(services, slices, { nodeName: node, nodeIP: address, clusterCIDR: this.clusterCIDR, existingNatChains });
    if (text === state.last && state.hooked) { this.synced.set(node, performance.now()); return; }
    await this.restore(node, text);
    if (!state.hooked) {
      const hooks = JUMPS.map(([table, chain, rule]) => `iptables -t ${table} -C ${chain} ${rule} 2>/dev/null || iptables -t ${table} -I ${chain} ${rule}`).join('\n');
      const hooked = await this.run.exec(node, hooks, { timeout: 60 });
      if (hooked.exitCode !== 0) throw new Error(`the jumps into kube-proxy's chains failed: ${hooked.stderr.trim()}`);
    }
    state.hooked = true;
    state.last = text;
    this.synced.set(node, performance.now());
  }

  /** The chains of `table` on the node whose names match `pattern` (a sed regex), as iptables-save lists them. */
  private async kubeChains(node: string, table: 'nat' | 'filter', pattern: string): Promise<string[]> {
    const listed = await this.run.exec(node, `iptables-save -t ${table} | sed -n 's/^:\\(${pattern}\\) .*/\\1/p'`);
    return listed.stdout.split('\n').filter(Boolean);
  }

  /** Rules in iptables-save form, added to the node's tables without flushing what else is there. */
  private async restore(node: string, text: string): Promise<void> {
    const result = await this.run.exec(node, 'iptables-restore --noflush', { stdin: text, timeout: 60 });
    if (result.exitCode !== 0) throw new Error(`iptables-restore failed: ${result.stderr.trim()}`);
  }

  /** The NetworkPolicy rules for this node's pods; the chains are read back only when the rules change (to delete stale ones). */
  private async syncPolicy(node: string, state: NodeState): Promise<void> {
    const args = [this.api.list(NETWORKPOLICY, undefined).items, this.api.list(POD, undefined).items, this.api.list(NAMESPACE, undefined).items] as const;
    const wanted = policyRules(...args, { nodeName: node }).text;
    if (wanted === state.policyLast && state.policyHooked) { this.policySynced.set(node, performance.now()); return; }
    const existingChains = await this.kubeChains(node, 'filter', 'KUBE-[A-Z-]*-[A-Z0-9]*');
    const { text } = policyRules(...args, { nodeName: node, existingChains });
    await this.restore(node, text);
    // First in FORWARD, as Calico inserts its chain: before kube-proxy's KUBE-FORWARD accepts marked and established traffic.
    const hook = `[ "$(iptables -S FORWARD | sed -n 2p)" = '-A FORWARD ${POLICY_JUMP}' ] || { iptables -D FORWARD ${POLICY_JUMP} 2>/dev/null; iptables -I FORWARD 1 ${POLICY_JUMP}; }`;
    const hooked = await this.run.exec(node, hook, { timeout: 60 });
    if (hooked.exitCode !== 0) throw new Error(`the jump into KUBE-NWPLCY-FORWARD failed: ${hooked.stderr.trim()}`);
    state.policyHooked = true;
    state.policyLast = wanted;
    this.policySynced.set(node, performance.now());
  }

  /** The DNS records onto the coredns pod's node (coalesced). */
  syncDns(): void {
    const state = this.dnsRun;
    if (state.running) { state.again = true; return; }
    state.running = (async () => {
      do {
        state.again = false;
        await this.writeDns().catch((e: Error) => { this.errors.push(`dns: ${e.message}`); });
      } while (state.again);
    })().finally(() => {
      state.running = undefined;
      if (state.again) this.syncDns();
    });
  }

  private async writeDns(): Promise<void> {
    const state = this.dnsRun;
    const node = (this.api.store.get(POD.storage, 'kube-system', 'coredns') as Any | undefined)?.spec?.nodeName as string | undefined;
    if (!node || !this.states.has(node)) return; // not scheduled yet
    const { hosts, srv } = dnsRecords(this.api.list(SERVICE, undefined).items, this.api.list(SLICE, undefined).items, this.dns!.zone);
    if (node !== state.node) Object.assign(state, { node, hosts: '', srv: '' });
    if (hosts === state.hosts && srv === state.srv) return;
    const write = async (file: string, text: string) => {
      const result = await this.run.exec(node, `mkdir -p /etc/coredns && cat >/etc/coredns/${file}.new && mv /etc/coredns/${file}.new /etc/coredns/${file}`, { stdin: text || '\n', timeout: 30 });
      if (result.exitCode !== 0) throw new Error(`writing /etc/coredns/${file} on ${node}: ${result.stderr.trim()}`);
    };
    await write('hosts', hosts);
    await write('srv.conf', srv);
    // dnsmasq rereads --addn-hosts on SIGHUP; its configuration (the srv-host lines) only when it starts: the pod's loop starts it again.
    const signal = srv === state.srv ? '-HUP' : '-TERM';
    await this.run.exec(node, `[ -s /run/coredns.pid ] && kill ${signal} "$(cat /run/coredns.pid)" 2>/dev/null; true`, { timeout: 30 });
    Object.assign(state, { hosts, srv });
  }

  /** Resolves when the controllers are idle, every pod has started or stopped, and every node has its rules and records. */
  async settle(): Promise<void> {
    for (;;) {
      await this.manager.settle();
      const running = [...[...this.states.values()].map((s) => s.running), this.dnsRun.running].filter(Boolean);
      if (!running.length) return;
      await Promise.all(running);
    }
  }

  stop(): void {
    this.stopWatch?.();
    this.manager.stop();
  }
}
