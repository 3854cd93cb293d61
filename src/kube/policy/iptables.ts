// NetworkPolicy as a pure function, in the way iptables policy engines write it (kube-router's
// pkg/controllers/netpol, Calico's felix before eBPF): the NetworkPolicies, Pods and
// Namespaces of the API, and this node's name, in; the `iptables-restore` input for the filter
// table out. Chains:
//
//   KUBE-NWPLCY-FORWARD     reached first from FORWARD (pod-to-pod traffic on a bridge crosses
//                           FORWARD through br_netfilter). Replies and established connections
//                           leave it at once; then, for each pod on this node that a policy
//                           selects, a jump to the pod's chain by its address. Traffic from the
//                           node itself (OUTPUT) is never judged: Kubernetes always lets a node
//                           reach its pods (kubelet probes), as Calico does by default.
//   KUBE-POD-IN-<hash>      ingress to one isolated pod (Calico's cali-tw-): a jump to each of
//                           its ingress policies' chains; a policy that allows the packet sets
//                           the mark 0x10000; no mark: DROP (the default deny); the mark is then
//                           cleared for the next verdict.
//   KUBE-POD-EG-<hash>      the same for egress from the pod (Calico's cali-fw-). Chain names
//                           are at most 28 characters (XT_EXTENSION_MAXNAMELEN less the NUL).
//   KUBE-NWPLCY-<hash>      one policy in one direction (kube-router's KUBE-NWPLCY-, Calico's
//                           cali-pi-/cali-po-): each rule × peer × port, a MARK when it matches.
//   KUBE-IPBLK-<hash>       an ipBlock with `except`: RETURN for the excepted CIDRs, then MARK
//                           (kube-router puts excepts in an ipset as nomatch entries; no ipset here).
//
// Policies never ACCEPT: a packet they allow RETURNs to FORWARD and meets what else is there
// (kube-proxy's KUBE-FORWARD, a learner's own rules). The semantics are those of the API docs
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/) and of upstream's
// conformance tests (test/e2e/network/netpol): policyTypes defaulting, OR across rules and peers,
// AND of podSelector and namespaceSelector in one peer, named ports resolved per pod.
// Not written: IPv6, SCTP's module, hostNetwork pods (not isolated), policy on the node's own traffic.
import { ipInCidr } from '../../net/addr.js';
import { hash16 } from '../proxy/iptables.js';
import { selectorMatcher } from '../selectors.js';

type Obj = Record<string, any>;

export interface PolicyOptions {
  /** This node's name: its pods (spec.nodeName) get per-pod chains. */
  nodeName: string;
  /** The mark bit a policy sets when it allows a packet (kube-router uses 0x10000 too). */
  mark?: string;
  /** Chains now in the filter table (from iptables-save): stale policy chains are deleted. */
  existingChains?: readonly string[];
}

export interface PolicyRules {
  /** The iptables-restore input: *filter ... COMMIT. */
  readonly text: string;
  /** The policy chains written (KUBE-NWPLCY-FORWARD and the per-pod, per-policy, ipBlock chains). */
  readonly chains: readonly string[];
}

/** The jump from FORWARD: first in the chain (Calico's ChainInsertMode=insert), before kube-proxy's KUBE-FORWARD accepts marked traffic. */
export const POLICY_JUMP = '-m comment --comment "kubernetes network policy" -j KUBE-NWPLCY-FORWARD';

export type Direction = 'ingress' | 'egress';
export const podChainName = (namespace: string, pod: string, direction: Direction) => `KUBE-POD-${direction === 'ingress' ? 'IN' : 'EG'}-${hash16(`${namespace}/${pod}`)}`;
export const policyChainName = (namespace: string, policy: string, direction: Direction) => `KUBE-NWPLCY-${hash16(`${namespace}/${policy}/${direction}`)}`;

interface Pod { namespace: string; name: string; ip: string; node: string; labels: Record<string, string>; ports: { name: string; port: number; protocol: string }[] }

/** Pods that take part in policy: active, with an address, not on the host network. */
function podsOf(pods: readonly Obj[]): Pod[] {
  return pods
    .filter((p) => p.status?.podIP && !p.spec?.hostNetwork && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .map((p) => ({
      namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, ip: p.status.podIP, node: p.spec?.nodeName ?? '', labels: p.metadata.labels ?? {},
      ports: ((p.spec?.containers ?? []) as Obj[]).flatMap((c) => ((c.ports ?? []) as Obj[]).filter((port) => port.name).map((port) => ({ name: port.name, port: port.containerPort, protocol: port.protocol ?? 'TCP' }))),
    }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The policy types a policy has (NetworkPolicySpec.policyTypes): Ingress always when none are given, Egress when it has egress rules. */
export function policyTypes(policy: Obj): Direction[] {
  const given: string[] | undefined = policy.spec?.policyTypes;
  if (given?.length) return given.map((t) => t.toLowerCase() as Direction);
  return policy.spec?.egress ? ['ingress', 'egress'] : ['ingress'];
}

/** Where a packet is from (ingress) or to (egress): one pod, a CIDR with exceptions, or anywhere. */
type Peer = { pod: Pod } | { cidr: string; except: string[] } | { any: true };

/** A rule's peers (NetworkPolicyPeer): podSelector in the policy's namespace, namespaceSelector alone (every pod there), both (ANDed), or ipBlock. */
function peersOf(rulePeers: Obj[] | undefined, policyNs: string, pods: Pod[], nsLabels: (ns: string) => Record<string, string>): Peer[] {
  if (!rulePeers?.length) return [{ any: true }];
  const out: Peer[] = [];
  for (const peer of rulePeers) {
    if (peer.ipBlock) { out.push({ cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] }); continue; }
    const inNs = peer.namespaceSelector ? selectorMatcher(peer.namespaceSelector) : (labels: Record<string, string> | undefined) => labels?.['kubernetes.io/metadata.name'] === policyNs;
    const podMatch = peer.podSelector ? selectorMatcher(peer.podSelector) : () => true;
    for (const pod of pods) if (inNs(nsLabels(pod.namespace)) && podMatch(pod.labels)) out.push({ pod });
  }
  return out;
}

interface PortMatch { protocol: string; port?: string; /** a named port: only to this pod */ pod?: Pod }

/**
 * A rule's ports (NetworkPolicyPort): none means every port; a number (with endPort, a range);
 * a name means the port of that name on the pod the traffic is to, so it resolves per pod
 * (`candidates`: the pods it could be to), and a pod without it is not matched.
 */
function portsOf(rulePorts: Obj[] | undefined, candidates: Pod[]): PortMatch[] | undefined {
  if (!rulePorts?.length) return undefined;
  const out: PortMatch[] = [];
  for (const p of rulePorts) {
    const protocol = String(p.protocol ?? 'TCP').toLowerCase();
    if (p.port === undefined) out.push({ protocol });
    else if (typeof p.port === 'number') out.push({ protocol, port: p.endPort ? `${p.port}:${p.endPort}` : String(p.port) });
    else {
      for (const pod of candidates) {
        const named = pod.ports.find((x) => x.name === p.port && x.protocol.toLowerCase() === protocol);
        if (named) out.push({ protocol, port: String(named.port), pod });
      }
    }
  }
  return out;
}

const quote = (text: string) => (/\s/.test(text) ? `"${text}"` : text);
const comment = (text: string) => `-m comment --comment ${quote(text)}`;
const host = (ip: string) => (ip.includes('/') ? ip : `${ip}/32`);

export function policyRules(policies: readonly Obj[], podObjects: readonly Obj[], namespaces: readonly Obj[], options: PolicyOptions): PolicyRules {
  const mark = options.mark ?? '0x10000';
  const setMark = `-j MARK --set-xmark ${mark}/${mark}`;
  const pods = podsOf(podObjects);
  const nsObjects = new Map(namespaces.map((n) => [n.metadata?.name as string, n]));
  // Every namespace carries kubernetes.io/metadata.name (v1.21 on), which is how a policy names one namespace.
  const nsLabels = (ns: string) => ({ ...(nsObjects.get(ns)?.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': ns });
  const sorted = [...policies].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));

  const chains: string[] = ['KUBE-NWPLCY-FORWARD'];
  const rules: string[] = [];
  const w = (...words: (string | undefined | false)[]) => rules.push(words.filter((x): x is string => typeof x === 'string' && x !== '').join(' '));
  const podChains: string[] = [];
  const podRules: string[] = [];

  // Which local pods each policy isolates, per direction.
  const local = pods.filter((p) => p.node === options.nodeName);
  const selects = (policy: Obj) => {
    let matches: (labels: Record<string, string> | undefined) => boolean;
    try { matches = selectorMatcher(policy.spec?.podSelector ?? {}); } catch { return () => false; }
    return (pod: Pod) => pod.namespace === policy.metadata.namespace && matches(pod.labels);
  };
  const matchers = new Map(sorted.map((p) => [p, selects(p)]));
  for (const pod of local) {
    for (const direction of ['ingress', 'egress'] as const) {
      const mine = sorted.filter((p) => policyTypes(p).includes(direction) && matchers.get(p)!(pod));
      if (!mine.length) continue;
      const chain = podChainName(pod.namespace, pod.name, direction);
      const who = `${pod.namespace}/${pod.name}`;
      podChains.push(chain);
      podRules.push(direction === 'ingress'
        ? `-A KUBE-NWPLCY-FORWARD ${comment(`${who} ingress`)} -d ${host(pod.ip)} -j ${chain}`
        : `-A KUBE-NWPLCY-FORWARD ${comment(`${who} egress`)} -s ${host(pod.ip)} -j ${chain}`);
      for (const p of mine) rules.push(`-A ${chain} ${comment(`${p.metadata.namespace}/${p.metadata.name}`)} -j ${policyChainName(p.metadata.namespace, p.metadata.name, direction)}`);
      rules.push(`-A ${chain} ${comment(`${who}: no NetworkPolicy allows this ${direction}`)} -m mark ! --mark ${mark}/${mark} -j DROP`);
      rules.push(`-A ${chain} -j MARK --set-xmark 0x0/${mark}`);
    }
  }
  chains.push(...podChains);

  // The chain of each policy and direction, when the policy selects a pod on this node.
  for (const policy of sorted) {
    const ns = policy.metadata.namespace as string;
    const name = `${ns}/${policy.metadata.name}`;
    const targets = local.filter(matchers.get(policy)!);
    if (!targets.length) continue;
    for (const direction of policyTypes(policy)) {
      const chain = policyChainName(ns, policy.metadata.name, direction);
      chains.push(chain);
      const writePeer = (peer: Peer, flag: string, match: (string | undefined)[], key: string): void => {
        if ('any' in peer) w(`-A ${chain}`, ...match, setMark);
        else if ('pod' in peer) w(`-A ${chain}`, match[0], `${flag} ${host(peer.pod.ip)}`, ...match.slice(1), setMark);
        else if (!peer.except.length) w(`-A ${chain}`, match[0], `${flag} ${peer.cidr}`, ...match.slice(1), setMark);
        else {
          const block = `KUBE-IPBLK-${hash16(key)}`;
          if (!chains.includes(block)) {
            chains.push(block);
            for (const e of peer.except) w(`-A ${block}`, comment(`${name}: except ${e}`), `${flag} ${e}`, '-j RETURN');
            w(`-A ${block}`, setMark);
          }
          w(`-A ${chain}`, match[0], `${flag} ${peer.cidr}`, ...match.slice(1), `-j ${block}`);
        }
      };
      const list: Obj[] = (direction === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
      list.forEach((rule, index) => {
        const text = comment(`${name} ${direction} rule ${index + 1}`);
        const peers = peersOf(direction === 'ingress' ? rule.from : rule.to, ns, pods, nsLabels);
        const peerFlag = direction === 'ingress' ? '-s' : '-d';
        if (direction === 'ingress') {
          // Named ports are the ports of the pod the traffic is to: the policy's own pods here.
          const ports = portsOf(rule.ports, targets);
          for (const [pi, peer] of peers.entries()) {
            for (const port of ports ?? [undefined]) {
              const to = port?.pod ? `-d ${host(port.pod.ip)}` : undefined;
              const proto = port ? `-p ${port.protocol} -m ${port.protocol}${port.port ? ` --dport ${port.port}` : ''}` : undefined;
              writePeer(peer, peerFlag, [text, to, proto], `${name}/${direction}/${index}/${pi}`);
            }
          }
        } else {
          // Named ports are the ports of the peer: each pod peer with its own number; anywhere or a CIDR, every pod in it that has the name.
          for (const [pi, peer] of peers.entries()) {
            const candidates = 'pod' in peer ? [peer.pod] : pods.filter((p) => 'any' in peer || (ipInCidr(p.ip, peer.cidr) && !peer.except.some((e) => ipInCidr(p.ip, e))));
            const ports = portsOf(rule.ports, candidates);
            for (const port of ports ?? [undefined]) {
              const proto = port ? `-p ${port.protocol} -m ${port.protocol}${port.port ? ` --dport ${port.port}` : ''}` : undefined;
              if (port?.pod) w(`-A ${chain}`, text, `-d ${host(port.pod.ip)}`, proto, setMark);
              else writePeer(peer, peerFlag, [text, proto], `${name}/${direction}/${index}/${pi}`);
            }
          }
        }
      });
    }
  }

  const head = [
    `-A KUBE-NWPLCY-FORWARD ${comment('replies and established connections are not judged again')} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    `-A KUBE-NWPLCY-FORWARD -j MARK --set-xmark 0x0/${mark}`,
    ...podRules,
  ];
  const active = new Set(chains);
  const stale: string[] = [];
  for (const old of options.existingChains ?? []) {
    if (!/^KUBE-(POD-IN|POD-EG|NWPLCY|IPBLK)-/.test(old) || active.has(old)) continue;
    stale.push(old);
  }
  const text = ['*filter', ...chains.map((c) => `:${c} - [0:0]`), ...stale.map((c) => `:${c} - [0:0]`), ...head, ...rules, ...stale.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
  return { text, chains: [...active].sort() };
}
