// The shape of a node's network state as the harness sees it (see facts.ts).
// Plain data only: it is built from text the guest printed, and it crosses to
// the browser and into JSON unchanged.

/** Runs a command on the node (the guest agent's exec, or anything that behaves like it). */
export type Exec = (command: string, options?: { timeout?: number }) => Promise<{ stdout: string; stderr: string; exitCode: number; timedOut: boolean }>;

export interface NodeFacts {
  node: string;
  hostname: string;
  /** [0] is the node's own namespace (name ''), then every namespace in /run/netns. */
  netns: NamespaceFacts[];
  /** The node namespace's rules, from iptables-save (the legacy backend, the image's default `iptables`). */
  iptables: IptablesTables;
  ipvs: IpvsService[];
  conntrack: ConntrackEntry[];
  /** host-local IPAM state under /var/lib/cni/networks. */
  cniIpam: CniNetworkState[];
  /** The node namespace's sysctls, e.g. 'net.ipv4.ip_forward' -> '1' (same object as netns[0].sysctls). */
  sysctls: Record<string, string>;
  /** What could not be read or parsed, one line each, e.g. "ipvs: exit 127: ipvsadm: command not found". Never thrown. */
  errors: string[];
}

export interface NamespaceFacts {
  /** '' for the node's own namespace. */
  name: string;
  links: LinkFact[];
  addresses: AddressFact[];
  routes: RouteFact[];
  neighbours: NeighbourFact[];
  fdb: FdbFact[];
  /** Sysctls read inside this namespace (a short list for pods; a longer one for the node). */
  sysctls: Record<string, string>;
  /** The ids this namespace gives other namespaces (ip netns list-id); name is missing for unnamed ones, like the node's own. */
  netnsIds: { nsid: number; name?: string }[];
}

export interface LinkFact {
  name: string;
  index: number;
  /** linkinfo.info_kind: 'veth', 'bridge', 'vxlan', 'ipip', 'dummy', 'vlan', 'tun', ...; 'tap' for a TUN device in TAP mode; 'loopback' for lo, 'device' for a plain NIC. */
  type: string;
  /** operstate: UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ... */
  state: string;
  /** The IFF_UP flag (set administratively with `ip link set X up`). */
  up: boolean;
  /** UP, LOWER_UP, BROADCAST, NOARP, ... as ip prints them. */
  flags: string[];
  mtu: number;
  mac?: string;
  /** The bridge (or bond, vrf) this link is enslaved to. */
  master?: string;
  /** The device this one sits on, e.g. eth0 for eth0.100 or for a vxlan's underlay. */
  link?: string;
  /** The other end of a veth. name is 'netns:ifname', or just ifname in the node's own namespace. */
  peer?: { index: number; netnsId?: number; netns?: string; ifname?: string; name?: string };
  vxlan?: { vni: number; port: number; local?: string; remote?: string; group?: string; dev?: string; learning: boolean };
  vlan?: { id: number; protocol?: string };
  /** ipip, gre, sit, ip6tnl: the outer addresses (missing when 'any'). */
  tunnel?: { local?: string; remote?: string };
  /** linkinfo.info_data as ip printed it (bridge settings, tunnel endpoints, ...). */
  kindData?: Record<string, unknown>;
  /** For a bridge port: 'bridge' and its port settings (state, hairpin, learning, ...). */
  slaveKind?: string;
  slaveData?: Record<string, unknown>;
}

export interface AddressFact {
  dev: string;
  family: 4 | 6;
  address: string;
  prefixLength: number;
  /** address/prefixLength, e.g. 10.244.1.2/24 */
  cidr: string;
  scope?: string;
  /** The other end of a point-to-point address (ip addr add A peer B). */
  peer?: string;
}

export interface RouteFact {
  /** 'main', 'local', or a number/name for the others. */
  table: string;
  family: 4 | 6;
  /** 'default' or a CIDR; host routes get /32 or /128. */
  destination: string;
  via?: string;
  dev?: string;
  src?: string;
  protocol?: string;
  scope?: string;
  /** unicast, local, broadcast, blackhole, unreachable, ... */
  type?: string;
  metric?: number;
  flags?: string[];
  /** ECMP routes: one entry per path. */
  nexthops?: { via?: string; dev?: string; weight?: number }[];
}

export interface NeighbourFact {
  dev: string;
  family: 4 | 6;
  address: string;
  mac?: string;
  /** REACHABLE, STALE, PERMANENT, FAILED, ... (the kernel can set several). */
  state: string[];
}

export interface FdbFact {
  dev: string;
  mac: string;
  /** The remote VTEP of a vxlan entry. */
  dst?: string;
  master?: string;
  vlan?: number;
  vni?: number;
  /** 'self' (the device's own table), 'master', 'extern_learn', ... */
  flags: string[];
  /** 'permanent', 'static'; missing for learned entries. */
  state?: string;
}

export interface IptablesTables {
  [table: string]: { chains: { [chain: string]: { policy?: string; rules: IptablesRule[] } } };
}

export interface IptablesRule {
  table: string;
  chain: string;
  /** The full '-A CHAIN ...' line. */
  text: string;
  protocol?: string;
  source?: string;
  destination?: string;
  inInterface?: string;
  outInterface?: string;
  /** -j */
  target?: string;
  /** -g */
  goto?: string;
  comment?: string;
  /** -m modules, in order. */
  matches: string[];
  /** --dport or --dports. */
  dports?: string;
  sports?: string;
  /** Every --option and its value(s), e.g. 'to-destination' -> '10.244.1.2:8080'; '' for a flag like --random-fully. */
  options: Record<string, string>;
  /** What a '!' negates: 'source', 'destination', 'protocol', 'in-interface', 'out-interface', or an option name like 'mark'. */
  negated: string[];
}

export interface IpvsService {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM' | string;
  /** The virtual address (for FWM, the firewall mark). */
  address: string;
  port: number;
  scheduler: string;
  /** Anything after the scheduler, e.g. 'persistent 10800'. */
  flags?: string;
  reals: { address: string; port: number; forward: string; weight: number; active: number; inactive: number }[];
}

export interface ConntrackEntry {
  protocol: string;
  family?: 'ipv4' | 'ipv6' | string;
  /** Seconds left before the entry expires. */
  timeout?: number;
  /** TCP state, e.g. ESTABLISHED, TIME_WAIT. */
  state?: string;
  original: { src: string; dst: string; sport?: number; dport?: number };
  reply: { src: string; dst: string; sport?: number; dport?: number };
  /** [ASSURED], [UNREPLIED] without the brackets. */
  flags: string[];
  mark?: number;
  zone?: number;
  text: string;
}

export interface CniNetworkState {
  network: string;
  leases: { ip: string; containerId: string; ifname?: string }[];
  lastReserved?: string;
}
