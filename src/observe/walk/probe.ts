// The walk's probe: one ping, one TCP connection or one DNS query, made so that the walk can
// pick it out of every other packet (a ping of an odd size; a connection or query from a
// source port of its own), and the shell that arms, fires and disarms the kernel's tracing.

import { WALK_LOG_PREFIX } from './trace-log.js';

export type ProbeKind = 'icmp' | 'tcp' | 'dns';

export interface WalkTarget {
  address: string;
  port?: number;
}

export interface Probe {
  kind: ProbeKind;
  target: WalkTarget;
  /** TCP and DNS: the source port that marks the walk's packets. */
  sourcePort: number;
  /** DNS: the name asked for. */
  query: string;
}

/** ping -s 37: an echo of 65 bytes of IP, a size no other tool here sends. */
export const PING_PAYLOAD = 37;
export const PING_IP_LENGTH = PING_PAYLOAD + 8 + 20;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export const isIpv4 = (text: string) => IPV4.test(text);
const NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*\.?$/;
export const isDnsName = (text: string) => text.length <= 253 && NAME.test(text);

export class WalkError extends Error {}

/** "10.96.0.20", "10.96.0.20:80" or "web.default.svc.cluster.local:80". */
export function parseTarget(text: string): { host: string; port?: number } {
  const match = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) throw new WalkError(`the destination '${text}' is not an address, address:port or name[:port]`);
  const [, host, port] = match as unknown as [string, string, string | undefined];
  if (!isIpv4(host) && !isDnsName(host)) throw new WalkError(`the destination '${host}' is neither an IPv4 address nor a DNS name`);
  if (port === undefined) return { host };
  const number = Number(port);
  if (number < 1 || number > 65535) throw new WalkError(`the port ${port} is not between 1 and 65535`);
  return { host, port: number };
}

/** What iptables matches to pick out the probe's packets, in both directions. */
export function probeMatch(probe: Probe): string {
  switch (probe.kind) {
    case 'icmp': return `-p icmp -m length --length ${PING_IP_LENGTH}`;
    // The opening SYN and its answer; the rest of the connection tells nothing new.
    case 'tcp': return `-p tcp --tcp-flags SYN SYN -m multiport --ports ${probe.sourcePort}`;
    case 'dns': return `-p udp -m multiport --ports ${probe.sourcePort}`;
  }
}

/** A DNS query for `name`, type A, as printf escapes: the walk sends it with socat. */
export function dnsQueryEscapes(name: string, id: number): string {
  const bytes = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const label of name.replace(/\.$/, '').split('.')) bytes.push(label.length, ...[...label].map((c) => c.charCodeAt(0)));
  bytes.push(0, 0, 1, 0, 1);
  return bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

const inNamespace = (netns: string, command: string) => (netns ? `ip netns exec ${netns} ${command}` : command);

/** The command that sends the probe, from `netns` on its node ('' for the node itself). */
export function probeCommand(probe: Probe, netns: string): string {
  const { address, port } = probe.target;
  switch (probe.kind) {
    case 'icmp': return inNamespace(netns, `ping -n -c 1 -W 3 -s ${PING_PAYLOAD} ${address}`);
    case 'tcp': return inNamespace(netns, `nc -z -n -w 3 -p ${probe.sourcePort} ${address} ${port ?? 80}`);
    case 'dns': return `printf '${dnsQueryEscapes(probe.query, probe.sourcePort)}' | ${inNamespace(netns, `socat -t 3 - UDP4:${address}:${port ?? 53},sourceport=${probe.sourcePort}`)} | od -An -c | head -c 400`;
  }
}

const RULE_COMMENT = 'podwire-walk';

/**
 * The shell that arms (or, with `disarm`, removes) the walk's tracing on one node: TRACE in
 * the node's raw table, so every rule the probe meets is logged; a LOG rule in each pod's
 * namespace, so its leaving and arriving there are logged too. nf_log_all_netns lets pods'
 * namespaces log at all. Arming prints the kernel's uptime (the log's clock) and the
 * namespaces, numbered as the LOG prefixes number them.
 */
export function tracingScript(probe: Probe, disarm = false): string {
  const match = `${probeMatch(probe)} -m comment --comment ${RULE_COMMENT}`;
  const op = disarm ? '-D' : '-I';
  const at = disarm ? '' : ' 1';
  const sysctl = '/proc/sys/net/netfilter/nf_log_all_netns';
  const saved = '/run/podwire-walk.nf_log_all_netns';
  // One iptables-restore per namespace, not one iptables per rule, fed by a here-document
  // rather than pipes: starting programs and forking shells is what costs time in an
  // emulated machine. A delete whose rule is gone (someone flushed raw) would fail the whole
  // transaction, so disarming falls back to one rule at a time.
  return `set +e
m='${match}'
raw() { # raw TARGET-IN TARGET-OUT [ip netns exec NS]: the walk's two rules in that raw table
  local in=$1 out=$2; shift 2
  "$@" iptables-restore -w -n 2>/dev/null <<EOF && return
*raw
${op} PREROUTING${at} $m $in
${op} OUTPUT${at} $m $out
COMMIT
EOF
  ${disarm ? `"$@" iptables-restore -w -n 2>/dev/null <<EOF
*raw
-D PREROUTING $m $in
COMMIT
EOF
  "$@" iptables-restore -w -n 2>/dev/null <<EOF
*raw
-D OUTPUT $m $out
COMMIT
EOF` : 'return 1'}
}
${disarm ? 'read -r ns_list </run/podwire-walk.namespaces 2>/dev/null' : `ns_list=$(ip netns list 2>/dev/null | cut -d' ' -f1)
echo $ns_list >/run/podwire-walk.namespaces
read -r uptime _ </proc/uptime
echo "$uptime"
echo "namespaces:" $ns_list
[ -f ${saved} ] || cat ${sysctl} >${saved} 2>/dev/null
echo 1 >${sysctl} 2>/dev/null`}
raw '-j TRACE' '-j TRACE'
i=0
for ns in $ns_list; do
  i=$((i + 1))
  raw "-j LOG --log-prefix \\"${WALK_LOG_PREFIX} $i in: \\"" "-j LOG --log-prefix \\"${WALK_LOG_PREFIX} $i out: \\"" ip netns exec "$ns"
done
${disarm ? `[ -s ${saved} ] && cat ${saved} >${sysctl} 2>/dev/null
rm -f ${saved} /run/podwire-walk.namespaces
true` : 'true'}
`;
}

/**
 * What the walk reads on a node after the probe, in one round: the kernel log, the rules as
 * numbered then, the addresses, conntrack, IPVS's virtual servers (where its module is
 * loaded), and what the routing table says for the logged
 * packets: the route each destination matched (`ip route get fibmatch`), and where each
 * packet logged on its way in was sent (`ip route get DST from SRC iif IN`). One exec, not
 * several: each round costs a round trip and a shell on every node. The tracing comes off
 * in a round of its own (`tracingScript(probe, true)`), after the walk has its answer.
 *
 * podwire-walklog (images/tools) picks this walk's lines out of the kernel log and lists
 * the lookups: one small program where `dmesg | grep | awk | sort` would start four.
 */
export function collectScript(probe: Probe, since: number): string {
  const protocol = probe.kind === 'dns' ? 'udp' : probe.kind;
  const lookups = '/run/podwire-walk.routes';
  // Only this walk's lines (stamped at or after arming): older walks' stay in the ring buffer.
  return `podwire-walklog ${Number.isFinite(since) && since >= 0 ? since : 0} -r ${lookups} 'TRACE: ' '${WALK_LOG_PREFIX} '
echo '### iptables'
iptables-save 2>/dev/null
echo '### addresses'
ip -4 -o addr show 2>/dev/null
echo '### conntrack'
conntrack -L -p ${protocol} 2>/dev/null
echo '### ipvs'
[ -e /proc/net/ip_vs ] && ipvsadm -Ln 2>/dev/null
echo '### routes'
while read -r ask dst src iif; do
  case $ask in
    route) printf '%s ' "$dst"; ip route get fibmatch "$dst" 2>&1 ;;
    routed) printf 'routed %s %s %s ' "$dst" "$src" "$iif"; ip route get "$dst" from "$src" iif "$iif" 2>&1 ;;
  esac
done <${lookups}
rm -f ${lookups}`;
}

export { RULE_COMMENT };
