// kube-proxy in iptables mode as a pure function: the Services and EndpointSlices of the API,
// and the node's name and IP, in; the `iptables-restore` input for the filter and nat tables
// out, as upstream's Proxier.syncProxyRules writes it (pkg/proxy/iptables/proxier.go, the
// version with KUBE-EXT, KUBE-SVL, KUBE-PROXY-FIREWALL and the nfacct counters, v1.29 on).
// Same chains, same rules in the same order, same comments, same chain names:
//
//   filter  KUBE-SERVICES           REJECT a ClusterIP with no endpoints at all (DROP when
//                                   internalTrafficPolicy: Local has none on this node)
//           KUBE-EXTERNAL-SERVICES  the same for external IPs, LoadBalancer IPs, NodePorts
//           KUBE-NODEPORTS          ACCEPT the healthCheckNodePort
//           KUBE-FORWARD            accept what kube-proxy marked, and its replies
//           KUBE-PROXY-FIREWALL     DROP what loadBalancerSourceRanges did not let in
//   nat     KUBE-SERVICES           each ClusterIP:port (then external and LB IPs) -> its chain,
//                                   and last, local addresses -> KUBE-NODEPORTS
//           KUBE-NODEPORTS          each NodePort -> KUBE-EXT-<hash>
//           KUBE-SVC-<hash>         Cluster policy: one rule per endpoint, random with 1/(n-i)
//           KUBE-SVL-<hash>         Local policy: the same over this node's endpoints
//           KUBE-EXT-<hash>         external traffic: masquerade (Cluster), or short-circuit
//                                   pods and the node itself to KUBE-SVC (Local)
//           KUBE-FW-<hash>          loadBalancerSourceRanges
//           KUBE-SEP-<hash>         one per endpoint: hairpin masquerade, then DNAT
//           KUBE-MARK-MASQ, KUBE-POSTROUTING  mark, then masquerade on the way out
//
// <hash> is portProtoHash: base32(sha256(servicePortName + protocol)), first 16 letters;
// a KUBE-SEP hash adds the endpoint "ip:port" (servicePortEndpointChainName).
// Which endpoints each chain gets follows pkg/proxy/topology.go (CategorizeEndpoints):
// ready ones, or else serving-and-terminating ones; Local means nodeName == this node.
// Not written: IPv6, topology-aware hints, the large-cluster comment elision, partial syncs.
import { sha256 } from '@noble/hashes/sha2.js';
import { ipInCidr, tryParseIpv4 } from '../../net/addr.js';

type Obj = Record<string, any>;

export interface ProxyOptions {
  /** This node's name: an endpoint is local when its nodeName is this. */
  nodeName: string;
  /** This node's IP (for loadBalancerSourceRanges that include the node). */
  nodeIP: string;
  /** The pod network: traffic from outside it is masqueraded (--cluster-cidr, LocalDetector by CIDR). */
  clusterCIDR?: string;
  /** --iptables-masquerade-bit 14: 0x4000. */
  masqueradeMark?: string;
  /** --iptables-localhost-nodeports (upstream's default true; needs route_localnet=1). */
  localhostNodePorts?: boolean;
  /** Whether the nfacct counters exist (upstream counts localhost NodePorts and INVALID drops with them). */
  nfacct?: boolean;
  /** nf_conntrack_tcp_be_liberal set: then INVALID packets are not dropped. */
  conntrackTCPLiberal?: boolean;
  /** MASQUERADE --random-fully. */
  randomFully?: boolean;
  /** Chains now in the nat table (from iptables-save): stale KUBE-SVC/SVL/EXT/FW/SEP ones are deleted. */
  existingNatChains?: readonly string[];
}

export interface ProxyRules {
  /** The whole iptables-restore input: *filter ... COMMIT *nat ... COMMIT. */
  readonly text: string;
  /** The service chains written to nat (KUBE-SVC/SVL/EXT/FW/SEP). */
  readonly natChains: readonly string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** encoding/base32 StdEncoding of the first bytes, enough for 16 letters (80 bits). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** base32(sha256(text)), first 16 letters: the hash in kube-proxy's chain names (and kube-router's). */
export const hash16 = (text: string) => base32(sha256(new TextEncoder().encode(text)).subarray(0, 10));

/** portProtoHash: the <hash> of KUBE-SVC-, KUBE-SVL-, KUBE-EXT- and KUBE-FW- chains. */
export const portProtoHash = (servicePortName: string, protocol: string): string => hash16(servicePortName + protocol);
/** servicePortEndpointChainName: the KUBE-SEP- chain of one endpoint ("ip:port"). */
export const endpointChainName = (servicePortName: string, protocol: string, endpoint: string): string => `KUBE-SEP-${hash16(servicePortName + protocol + endpoint)}`;

/** computeProbability: 1/n with ten decimals. */
const probability = (n: number) => (1 / n).toFixed(10);

const isIPv4 = (s: string) => tryParseIpv4(s) !== undefined;

interface Endpoint { ip: string; port: number; nodeName?: string; ready: boolean; serving: boolean; terminating: boolean; chain: string; text: string }

interface ServicePort {
  name: string; // ns/svc:port
  protocol: string; // tcp, udp, sctp
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  lbVIPs: string[];
  sourceRanges: string[];
  healthCheckNodePort: number;
  affinitySeconds: number | undefined;
  internalLocal: boolean;
  externalLocal: boolean;
  endpoints: Endpoint[];
}

/** The Service ports kube-proxy handles, each with its endpoints (pkg/proxy/serviceport.go, endpointslicecache.go). */
function servicePorts(services: readonly Obj[], slices: readonly Obj[]): ServicePort[] {
  const out: ServicePort[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    const clusterIP: string = spec.clusterIP ?? '';
    if (!clusterIP || clusterIP === 'None' || spec.type === 'ExternalName' || !isIPv4(clusterIP)) continue;
    const ns = svc.metadata?.namespace ?? 'default';
    const type = spec.type ?? 'ClusterIP';
    const externalIPs: string[] = (spec.externalIPs ?? []).filter(isIPv4);
    const lbVIPs: string[] = type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).filter((i: Obj) => i.ip && i.ipMode !== 'Proxy' && isIPv4(i.ip)).map((i: Obj) => i.ip) : [];
    const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' || externalIPs.length > 0;
    const mine = slices.filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata?.name && (s.addressType ?? 'IPv4') === 'IPv4');
    for (const p of (spec.ports ?? []) as Obj[]) {
      const protocol = String(p.protocol ?? 'TCP').toLowerCase();
      if (!['tcp', 'udp', 'sctp'].includes(protocol)) continue;
      const name = `${ns}/${svc.metadata?.name}${p.name ? `:${p.name}` : ''}`;
      const seen = new Map<string, Endpoint>();
      for (const slice of mine) {
        for (const sp of (slice.ports ?? []) as Obj[]) {
          if ((sp.name ?? '') !== (p.name ?? '') || String(sp.protocol ?? 'TCP').toLowerCase() !== protocol || !sp.port) continue;
          for (const e of (slice.endpoints ?? []) as Obj[]) {
            const ip = e.addresses?.[0];
            if (!ip) continue;
            const text = `${ip}:${sp.port}`;
            if (seen.has(text)) continue;
            const ready = e.conditions?.ready ?? true;
            seen.set(text, {
              ip, port: sp.port, nodeName: e.nodeName, ready,
              serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false,
              chain: endpointChainName(name, protocol, text), text,
            });
          }
        }
      }
      out.push({
        name, protocol, clusterIP, port: p.port, nodePort: p.nodePort ?? 0, externalIPs, lbVIPs,
        sourceRanges: type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []).map((r: string) => r.trim()).filter((r: string) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(r)) : [],
        healthCheckNodePort: type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local' ? spec.healthCheckNodePort ?? 0 : 0,
        affinitySeconds: spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : undefined,
        internalLocal: spec.internalTrafficPolicy === 'Local',
        externalLocal: externallyAccessible && spec.externalTrafficPolicy === 'Local',
        endpoints: [...seen.values()].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)),
      });
    }
  }
  return out.sort((a, b) => (a.name + a.protocol < b.name + b.protocol ? -1 : 1));
}

/** pkg/proxy/topology.go CategorizeEndpoints, without topology hints. */
function categorize(sp: ServicePort, nodeName: string) {
  const externallyAccessible = sp.nodePort !== 0 || sp.lbVIPs.length > 0 || sp.externalIPs.length > 0;
  const usesCluster = !sp.internalLocal || externallyAccessible;
  const usesLocal = sp.internalLocal || (sp.externalLocal && externallyAccessible);
  let cluster: Endpoint[] = [];
  let local: Endpoint[] = [];
  let hasAny = false;
  if (usesCluster) {
    cluster = sp.endpoints.filter((e) => e.ready);
    if (!cluster.length) cluster = sp.endpoints.filter((e) => e.serving && e.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocal) return { cluster, local, reachable: cluster, hasAny, usesCluster, usesLocal, externallyAccessible };
  const isLocal = (e: Endpoint) => e.nodeName === nodeName;
  let localReady = false;
  let localServingTerminating = false;
  for (const e of sp.endpoints) {
    if (e.ready) { hasAny = true; if (isLocal(e)) localReady = true; } else if (e.serving && e.terminating) { hasAny = true; if (isLocal(e)) localServingTerminating = true; }
  }
  if (localReady) local = sp.endpoints.filter((e) => isLocal(e) && e.ready);
  else if (localServingTerminating) local = sp.endpoints.filter((e) => isLocal(e) && e.serving && e.terminating);
  if (!usesCluster) return { cluster, local, reachable: local, hasAny, usesCluster, usesLocal, externallyAccessible };
  const reachable = [...new Set([...cluster, ...local])];
  return { cluster, local, reachable, hasAny, usesCluster, usesLocal, externallyAccessible };
}

const quote = (text: string) => (/\s/.test(text) ? `"${text}"` : text);

/** The filter and nat rules for these Services and EndpointSlices on this node. */
export function proxyRules(services: readonly Obj[], slices: readonly Obj[], options: ProxyOptions): ProxyRules {
  const mark = options.masqueradeMark ?? '0x4000';
  const localhostNodePorts = options.localhostNodePorts ?? false;
  const nfacct = options.nfacct ?? false;
  const filterChains = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'].map((c) => `:${c} - [0:0]`);
  const filterRules: string[] = [];
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'].map((c) => `:${c} - [0:0]`);
  const natRules: string[] = [];
  const active = new Set<string>();
  const chain = (name: string) => { natChains.push(`:${name} - [0:0]`); active.add(name); };
  const w = (list: string[], ...words: (string | undefined | false)[]) => list.push(words.filter((x): x is string => typeof x === 'string' && x !== '').join(' '));
  const comment = (text: string) => `-m comment --comment ${quote(text)}`;

  w(natRules, '-A KUBE-POSTROUTING', `-m mark ! --mark ${mark}/${mark}`, '-j RETURN');
  w(natRules, '-A KUBE-POSTROUTING', `-j MARK --xor-mark ${mark}`);
  w(natRules, '-A KUBE-POSTROUTING', comment('kubernetes service traffic requiring SNAT'), '-j MASQUERADE', options.randomFully && '--random-fully');
  w(natRules, '-A KUBE-MARK-MASQ', `-j MARK --or-mark ${mark}`);
  if (localhostNodePorts) {
    filterChains.push(':KUBE-FIREWALL - [0:0]');
    w(filterRules, '-A KUBE-FIREWALL', comment('block incoming localnet connections'), '-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  }

  for (const sp of servicePorts(services, slices)) {
    const { protocol: proto, name } = sp;
    const hash = portProtoHash(name, proto);
    const svcChain = `KUBE-SVC-${hash}`;
    const svlChain = `KUBE-SVL-${hash}`;
    const extChain = `KUBE-EXT-${hash}`;
    const fwChain = `KUBE-FW-${hash}`;
    const c = categorize(sp, options.nodeName);
    const usesClusterChain = c.cluster.length > 0 && c.usesCluster;
    const usesLocalChain = c.local.length > 0 && c.usesLocal;
    const internalChain = sp.internalLocal ? svlChain : svcChain;
    const hasInternal = c.hasAny && (!sp.internalLocal || c.local.length > 0);
    const externalPolicyChain = sp.externalLocal ? svlChain : svcChain;
    const hasExternal = c.hasAny && (!sp.externalLocal || c.local.length > 0);
    const usesExtChain = c.hasAny && c.externallyAccessible;
    const usesFW = c.hasAny && sp.lbVIPs.length > 0 && sp.sourceRanges.length > 0;
    const lbChain = usesFW ? fwChain : extChain;
    let internalTarget = '';
    let internalComment = '';
    let externalTarget = '';
    let externalComment = '';
    if (!c.hasAny) {
      internalTarget = externalTarget = 'REJECT';
      internalComment = externalComment = `${name} has no endpoints`;
    } else {
      if (!hasInternal) { internalTarget = 'DROP'; internalComment = `${name} has no local endpoints`; }
      if (!hasExternal) { externalTarget = 'DROP'; externalComment = `${name} has no local endpoints`; }
    }
    const match = `-m ${proto} -p ${proto}`;

    // The ClusterIP.
    if (hasInternal) w(natRules, '-A KUBE-SERVICES', comment(`${name} cluster IP`), match, `-d ${sp.clusterIP}`, `--dport ${sp.port}`, `-j ${internalChain}`);
    else w(filterRules, '-A KUBE-SERVICES', comment(internalComment), match, `-d ${sp.clusterIP}`, `--dport ${sp.port}`, `-j ${internalTarget}`);
    // External IPs.
    for (const ip of sp.externalIPs) {
      if (c.hasAny) w(natRules, '-A KUBE-SERVICES', comment(`${name} external IP`), match, `-d ${ip}`, `--dport ${sp.port}`, `-j ${extChain}`);
      if (!hasExternal) w(filterRules, '-A KUBE-EXTERNAL-SERVICES', comment(externalComment), match, `-d ${ip}`, `--dport ${sp.port}`, `-j ${externalTarget}`);
    }
    // LoadBalancer IPs.
    for (const ip of sp.lbVIPs) {
      if (c.hasAny) w(natRules, '-A KUBE-SERVICES', comment(`${name} loadbalancer IP`), match, `-d ${ip}`, `--dport ${sp.port}`, `-j ${lbChain}`);
      if (usesFW) w(filterRules, '-A KUBE-PROXY-FIREWALL', comment(`${name} traffic not accepted by ${fwChain}`), match, `-d ${ip}`, `--dport ${sp.port}`, '-j DROP');
    }
    if (!hasExternal) for (const ip of sp.lbVIPs) w(filterRules, '-A KUBE-EXTERNAL-SERVICES', comment(externalComment), match, `-d ${ip}`, `--dport ${sp.port}`, `-j ${externalTarget}`);
    // The NodePort.
    if (sp.nodePort) {
      if (c.hasAny) {
        if (localhostNodePorts && nfacct) w(natRules, '-A KUBE-NODEPORTS', comment(name), match, '-d 127.0.0.0/8', `--dport ${sp.nodePort}`, '-m nfacct --nfacct-name localhost_nps_accepted_pkts', `-j ${extChain}`);
        w(natRules, '-A KUBE-NODEPORTS', comment(name), match, `--dport ${sp.nodePort}`, `-j ${extChain}`);
      }
      if (!hasExternal) w(filterRules, '-A KUBE-EXTERNAL-SERVICES', comment(externalComment), '-m addrtype --dst-type LOCAL', match, `--dport ${sp.nodePort}`, `-j ${externalTarget}`);
    }
    if (sp.healthCheckNodePort) w(filterRules, '-A KUBE-NODEPORTS', comment(`${name} health check node port`), '-m tcp -p tcp', `--dport ${sp.healthCheckNodePort}`, '-j ACCEPT');

    // Traffic to the ClusterIP from outside the pod network is masqueraded.
    if (hasInternal && options.clusterCIDR) {
      w(natRules, `-A ${internalChain}`, comment(`${name} cluster IP`), match, `-d ${sp.clusterIP}`, `--dport ${sp.port}`, `! -s ${options.clusterCIDR}`, '-j KUBE-MARK-MASQ');
    }
    if (usesExtChain) {
      chain(extChain);
      if (!sp.externalLocal) {
        w(natRules, `-A ${extChain}`, comment(`masquerade traffic for ${name} external destinations`), '-j KUBE-MARK-MASQ');
      } else {
        if (options.clusterCIDR) w(natRules, `-A ${extChain}`, comment(`pod traffic for ${name} external destinations`), `-s ${options.clusterCIDR}`, `-j ${svcChain}`);
        w(natRules, `-A ${extChain}`, comment(`masquerade LOCAL traffic for ${name} external destinations`), '-m addrtype --src-type LOCAL', '-j KUBE-MARK-MASQ');
        w(natRules, `-A ${extChain}`, comment(`route LOCAL traffic for ${name} external destinations`), '-m addrtype --src-type LOCAL', `-j ${svcChain}`);
      }
      if (hasExternal) w(natRules, `-A ${extChain}`, `-j ${externalPolicyChain}`);
    }
    if (usesFW) {
      chain(fwChain);
      const head = `-A ${fwChain} ${comment(`${name} loadbalancer IP`)}`;
      let allowFromNode = false;
      for (const cidr of sp.sourceRanges) {
        w(natRules, head, `-s ${cidr}`, `-j ${extChain}`);
        if (ipInCidr(options.nodeIP, cidr)) allowFromNode = true;
      }
      if (allowFromNode) for (const ip of sp.lbVIPs) w(natRules, head, `-s ${ip}`, `-j ${extChain}`);
      w(natRules, `-A ${fwChain}`, comment(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`));
    }
    const toEndpoints = (from: string, endpoints: Endpoint[]) => {
      if (sp.affinitySeconds !== undefined) {
        for (const e of endpoints) w(natRules, `-A ${from}`, comment(`${name} -> ${e.text}`), `-m recent --name ${e.chain} --rcheck --seconds ${sp.affinitySeconds} --reap`, `-j ${e.chain}`);
      }
      endpoints.forEach((e, i) => {
        w(natRules, `-A ${from}`, comment(`${name} -> ${e.text}`), i < endpoints.length - 1 && `-m statistic --mode random --probability ${probability(endpoints.length - i)}`, `-j ${e.chain}`);
      });
    };
    if (usesClusterChain) { chain(svcChain); toEndpoints(svcChain, c.cluster); }
    if (usesLocalChain) { chain(svlChain); toEndpoints(svlChain, c.local); }
    for (const e of c.reachable) {
      chain(e.chain);
      w(natRules, `-A ${e.chain}`, comment(name), `-s ${e.ip}`, '-j KUBE-MARK-MASQ');
      w(natRules, `-A ${e.chain}`, comment(name), sp.affinitySeconds !== undefined && `-m recent --name ${e.chain} --set`, match, `-j DNAT --to-destination ${e.text}`);
    }
  }

  // Stale service chains: a chain line flushes it, -X deletes it.
  for (const old of options.existingNatChains ?? []) {
    if (!/^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(old) || active.has(old)) continue;
    natChains.push(`:${old} - [0:0]`);
    natRules.push(`-X ${old}`);
  }
  // Last in KUBE-SERVICES: anything to a local address may be a NodePort.
  w(natRules, '-A KUBE-SERVICES', comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain'), '-m addrtype --dst-type LOCAL', !localhostNodePorts && '! -d 127.0.0.0/8', '-j KUBE-NODEPORTS');
  if (!options.conntrackTCPLiberal) w(filterRules, '-A KUBE-FORWARD -m conntrack --ctstate INVALID', nfacct && '-m nfacct --nfacct-name ct_state_invalid_dropped_pkts', '-j DROP');
  w(filterRules, '-A KUBE-FORWARD', comment('kubernetes forwarding rules'), `-m mark --mark ${mark}/${mark}`, '-j ACCEPT');
  w(filterRules, '-A KUBE-FORWARD', comment('kubernetes forwarding conntrack rule'), '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');

  const text = ['*filter', ...filterChains, ...filterRules, 'COMMIT', '*nat', ...natChains, ...natRules, 'COMMIT', ''].join('\n');
  return { text, natChains: [...active].sort() };
}

/**
 * The jumps from the built-in chains into kube-proxy's (iptablesJumpChains in proxier.go),
 * as `iptables` arguments (table, chain, rule): added once with -I if missing, as EnsureRule.
 */
export const JUMPS: readonly (readonly [string, string, string])[] = [
  ['filter', 'INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'],
  ['filter', 'FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'],
  ['filter', 'INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'],
  ['filter', 'FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  ['filter', 'OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  ['filter', 'FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'],
  ['filter', 'INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
  ['filter', 'OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
  ['filter', 'FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'],
  ['nat', 'OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  ['nat', 'PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  ['nat', 'POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'],
];
