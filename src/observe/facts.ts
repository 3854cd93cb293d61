// Node facts: a typed snapshot of one node's network state, read in one exec
// through the guest agent and parsed here. The grader asserts on it and the web
// lab draws its topology from it, so this module runs anywhere: it imports
// nothing from Node and talks to the node only through the Exec it is given.
//
//   const facts = await gatherFacts('node1', (cmd, o) => cluster.node('node1').exec(cmd, o));
//   addressesIn(facts, '10.244.1.0/24', { netns: 'pod1' })   // [{ dev: 'eth0', cidr: '10.244.1.2/24', ... }]
//   defaultRoute(namespace(facts, 'pod1')!)?.via              // '10.244.1.1'
import type { AddressFact, Exec, IptablesRule, LinkFact, NamespaceFacts, NodeFacts, RouteFact } from './facts-types.js';
import { ipInCidr } from './parse/cidr.js';
import { parseFdb, parseLinksAndAddresses, parseNeighbours, parseNetnsIds, parseRoutes, resolvePeers } from './parse/ip.js';
import { parseIptablesSave } from './parse/iptables.js';
import { parseConntrack, parseCniLeases, parseIpvsadm, parseSysctls } from './parse/netfilter.js';
import { sectionLabel, splitSections, type Section } from './parse/sections.js';

export type * from './facts-types.js';

/**
 * The script gatherFacts runs on the node, in one exec. It sticks to bash
 * builtins where it can (every process costs time in an emulated machine) and
 * runs about three programs per network namespace plus five for the node.
 */
export const FACTS_SCRIPT = `# podwire facts: one look at a node's network, printed section by section.
# Each section is what one command printed, between two marker lines:
#   @@podwire:begin:<section>:<netns>@@
#   @@podwire:end:<section>:<netns>:<exit code>@@
# followed by whatever the command said on stderr. <netns> is empty for the
# node's own namespace. A command that fails does not stop the others.
export LC_ALL=C
stderr_file=/tmp/podwire-facts.stderr

section() {                     # section NAME NETNS COMMAND [ARGS...]
  local name=$1 netns=$2 code stderr=
  shift 2
  # $wanted, when set, names the only sections to print (" ip: ip:pod-a ", or " ip:* "
  # for every namespace): a check that needs one table should not wait for every
  # program here to run.
  [ -n "$wanted" ] && [[ $wanted != *" $name:$netns "* && $wanted != *" $name:* "* ]] && return
  echo "@@podwire:begin:$name:$netns@@"
  "$@" 2>"$stderr_file"
  code=$?
  IFS= read -r -d '' stderr <"$stderr_file"
  printf '\\n@@podwire:end:%s:%s:%s@@\\n%s' "$name" "$netns" "$code" "$stderr"
}

ip_json() {                     # [-netns NS]: one JSON array a line, in this order
  ip "$@" -details -json -batch - <<'END'
address show
route show table all
neighbour show
netns list-id
END
}

conntrack_table() {             # the conntrack tool needs ctnetlink; /proc has the same lines
  head -n 2000 /proc/net/nf_conntrack 2>/dev/null || conntrack -L -o extended
}

cni_leases() {                  # host-local IPAM keeps one file per leased address
  local file id ifname
  for file in /var/lib/cni/networks/*/*; do
    [ -f "$file" ] || continue
    id= ifname=
    { read -r id; read -r ifname; } <"$file"
    echo "$file $id $ifname"
  done
}

# Sysctls come out of grep as <path>:<value>; grep -s skips files that don't exist.
pod_sysctls=(/proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding
  /proc/sys/net/ipv4/conf/{all,default}/{rp_filter,proxy_arp,route_localnet})
node_sysctls=(/proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding
  /proc/sys/net/ipv4/conf/*/{rp_filter,proxy_arp} /proc/sys/net/ipv4/conf/all/route_localnet
  /proc/sys/net/bridge/bridge-nf-call-{iptables,ip6tables}
  /proc/sys/net/netfilter/nf_conntrack_{count,max} /proc/sys/net/ipv4/vs/conntrack)

read -r hostname </proc/sys/kernel/hostname
section hostname '' echo "$hostname"
namespaces=()
for path in /run/netns/*; do [ -e "$path" ] && namespaces+=("\${path##*/}"); done
section netns '' printf '%s\\n' "\${namespaces[@]}"

section ip '' ip_json
section fdb '' bridge -json fdb show
section sysctl '' grep -s . "\${node_sysctls[@]}"
for ns in "\${namespaces[@]}"; do
  section ip "$ns" ip_json -netns "$ns"
  section fdb "$ns" bridge -netns "$ns" -json fdb show
  section sysctl "$ns" nsenter --net="/run/netns/$ns" grep -s . "\${pod_sysctls[@]}"
done

section iptables '' iptables-save
section ipvs '' ipvsadm -Ln
section conntrack '' conntrack_table
section cni '' cni_leases
`;

/** Sections every gather prints for the node, and for each named namespace. */
const NODE_SECTIONS = ['hostname', 'netns', 'ip', 'fdb', 'sysctl', 'iptables', 'ipvs', 'conntrack', 'cni'];
const NAMESPACE_SECTIONS = ['ip', 'fdb', 'sysctl'];

export interface GatherOptions {
  /** Seconds the script may run on the node (default 60). */
  timeout?: number;
  /**
   * Only these sections, as "name:netns" ("ip:" is the node's own addresses and routes,
   * "ip:pod-a" a pod's, "ip:*" every namespace's); hostname and the list of namespaces
   * always come. By default all.
   */
  only?: readonly string[];
}

/** @public The sections FACTS_SCRIPT prints for the node, and for each namespace: what `only` may name. */
export const FACTS_SECTIONS = { node: ['ip', 'fdb', 'sysctl', 'iptables', 'ipvs', 'conntrack', 'cni'], namespace: ['ip', 'fdb', 'sysctl'] } as const;

/**
 * Runs FACTS_SCRIPT on the node and parses it. A missing tool, an empty table or
 * a failing command ends up in facts.errors; only a node that does not answer at
 * all (the Exec rejecting) makes this throw.
 */
export async function gatherFacts(node: string, exec: Exec, options: GatherOptions = {}): Promise<NodeFacts> {
  const timeout = options.timeout ?? 60;
  const only = options.only && ['hostname:', 'netns:', ...options.only];
  // Section names and namespace names are words (netns names cannot hold quotes or spaces that matter here).
  const script = only ? `wanted=' ${only.map((s) => s.replace(/[^\w.:@*-]/g, '')).join(' ')} '\n${FACTS_SCRIPT}` : FACTS_SCRIPT;
  const result = await exec(script, { timeout });
  const facts = parseFacts(node, result.stdout, only);
  if (result.timedOut) facts.errors.unshift(`gather: timed out after ${timeout} s; the facts are partial`);
  else if (result.exitCode !== 0) facts.errors.push(`gather: the script exited with ${result.exitCode}`);
  if (result.stderr.trim()) facts.errors.push(`gather: stderr: ${firstLines(result.stderr)}`);
  return facts;
}

function emptyNamespace(name: string): NamespaceFacts {
  return { name, links: [], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: {}, netnsIds: [] };
}

function firstLines(text: string, count = 3): string {
  const lines = text.trim().split('\n');
  return lines.slice(0, count).join(' | ') + (lines.length > count ? ` (+${lines.length - count} more lines)` : '');
}

/** Parses the output of FACTS_SCRIPT (as captured, e.g. in a fixture). Never throws. `only`: the sections asked for, if not all. */
export function parseFacts(node: string, raw: string, only?: readonly string[]): NodeFacts {
  const root = emptyNamespace('');
  const facts: NodeFacts = { node, hostname: '', netns: [root], iptables: {}, ipvs: [], conntrack: [], cniIpam: [], sysctls: root.sysctls, errors: [] };
  const sections = splitSections(typeof raw === 'string' ? raw : '');
  if (sections.length === 0) {
    facts.errors.push('gather: no facts sections in the output');
    return facts;
  }
  const byNamespace = new Map<string, NamespaceFacts>([['', root]]);
  const namespaceFor = (name: string) => {
    let ns = byNamespace.get(name);
    if (!ns) { ns = emptyNamespace(name); byNamespace.set(name, ns); facts.netns.push(ns); }
    return ns;
  };
  // Namespaces in the order the node listed them, even those whose sections are missing.
  for (const section of sections) {
    if (section.name === 'netns' && section.netns === '') {
      for (const name of section.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) namespaceFor(name);
    }
  }

  for (const section of sections) {
    const label = sectionLabel(section);
    try {
      readSection(facts, namespaceFor(section.netns), section, label);
    } catch (error) {
      facts.errors.push(`${label}: cannot parse: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const seen = new Set(sections.map((s) => `${s.name}:${s.netns}`));
  for (const ns of facts.netns) {
    for (const name of ns.name === '' ? NODE_SECTIONS : NAMESPACE_SECTIONS) {
      if (!seen.has(`${name}:${ns.name}`) && (!only || only.includes(`${name}:${ns.name}`) || only.includes(`${name}:*`))) facts.errors.push(`${sectionLabel({ name, netns: ns.name })}: missing from the output`);
    }
  }
  try {
    resolvePeers(facts.netns);
  } catch (error) {
    facts.errors.push(`veth peers: ${error instanceof Error ? error.message : String(error)}`);
  }
  return facts;
}

function readSection(facts: NodeFacts, ns: NamespaceFacts, section: Section, label: string): void {
  const { stdout, stderr, exitCode } = section;
  if (exitCode === null) facts.errors.push(`${label}: cut short (no end marker)`);
  // grep exits 2 when one of the sysctl files does not exist (an unloaded module); that is fine if the rest came.
  const lenient = section.name === 'sysctl' && exitCode === 2 && stdout.trim() !== '';
  if (exitCode !== null && exitCode !== 0 && !lenient) {
    facts.errors.push(`${label}: exit ${exitCode}${stderr.trim() ? `: ${firstLines(stderr)}` : ''}`);
  }
  switch (section.name) {
    case 'hostname':
      facts.hostname = stdout.trim();
      break;
    case 'netns':
      break; // read first, above
    case 'ip':
      readIpBatch(facts, ns, stdout, label);
      break;
    case 'fdb':
      ns.fdb = parseJsonLines(stdout, label, facts.errors).flatMap((json) => parseFdb(json));
      break;
    case 'sysctl':
      Object.assign(ns.sysctls, parseSysctls(stdout));
      break;
    case 'iptables':
      if (section.netns === '') facts.iptables = parseIptablesSave(stdout);
      break;
    case 'ipvs':
      facts.ipvs = parseIpvsadm(stdout);
      break;
    case 'conntrack':
      facts.conntrack = parseConntrack(stdout);
      break;
    case 'cni':
      facts.cniIpam = parseCniLeases(stdout);
      break;
    default:
      break; // a section from a newer script: ignore it
  }
}

/** Each non-empty line parsed as JSON; a line that is not JSON is reported and skipped (null keeps its place). */
function parseJsonLines(text: string, label: string, errors: string[]): unknown[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      errors.push(`${label}: line ${i + 1} is not JSON: ${line.length > 80 ? `${line.slice(0, 77)}...` : line}`);
      return null;
    }
  });
}

/** ip -batch prints one array per command, in the script's order, and stops at the first that fails. */
function readIpBatch(facts: NodeFacts, ns: NamespaceFacts, stdout: string, label: string): void {
  const [addresses, routes, neighbours, netnsIds] = parseJsonLines(stdout, label, facts.errors);
  const parsed = parseLinksAndAddresses(addresses);
  ns.links = parsed.links;
  ns.addresses = parsed.addresses;
  ns.routes = parseRoutes(routes);
  ns.neighbours = parseNeighbours(neighbours);
  ns.netnsIds = parseNetnsIds(netnsIds);
}

// ---- Helpers for assertions and views -------------------------------------------

/** The namespace called name ('' for the node's own). */
export function namespace(facts: NodeFacts, name: string): NamespaceFacts | undefined {
  return facts.netns.find((ns) => ns.name === name);
}

/** Addresses inside cidr, in one namespace or in all of them; each says which namespace it is in. */
export function addressesIn(facts: NodeFacts, cidr: string, options: { netns?: string } = {}): (AddressFact & { netns: string })[] {
  return facts.netns
    .filter((ns) => options.netns === undefined || ns.name === options.netns)
    .flatMap((ns) => ns.addresses.filter((a) => ipInCidr(a.address, cidr)).map((a) => ({ ...a, netns: ns.name })));
}

/** The main table's default route of a family (IPv4 unless told), if there is one. */
export function defaultRoute(ns: NamespaceFacts | undefined, family: 4 | 6 = 4): RouteFact | undefined {
  return ns?.routes.find((r) => r.destination === 'default' && r.table === 'main' && r.family === family && (r.type === undefined || r.type === 'unicast'));
}

/** A link by name, in the node's own namespace unless told. */
export function findLink(facts: NodeFacts, name: string, netns = ''): LinkFact | undefined {
  return namespace(facts, netns)?.links.find((l) => l.name === name);
}

/** The rules of one chain, in order; [] if the table or chain is not there. */
export function rulesOf(facts: NodeFacts, table: string, chain: string): IptablesRule[] {
  return facts.iptables[table]?.chains[chain]?.rules ?? [];
}
