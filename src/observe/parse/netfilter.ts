// The text-only tools: ipvsadm -Ln, the conntrack table, host-local IPAM files, sysctls.
import type { CniNetworkState, ConntrackEntry, IpvsService } from '../facts-types.js';

/** "10.96.0.10:80" or "[fd00::a]:80" -> address and port. */
function hostPort(text: string): { address: string; port: number } {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(text);
  if (v6) return { address: v6[1]!, port: Number(v6[2]) };
  const at = text.lastIndexOf(':');
  return at < 0 ? { address: text, port: 0 } : { address: text.slice(0, at), port: Number(text.slice(at + 1)) };
}

/**
 * ipvsadm -Ln:
 *   TCP  10.96.0.10:80 rr persistent 10800
 *     -> 10.244.1.2:8080              Masq    1      0          0
 */
export function parseIpvsadm(text: string): IpvsService[] {
  const services: IpvsService[] = [];
  for (const line of text.split('\n')) {
    const service = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)\s*(.*?)\s*$/.exec(line);
    if (service) {
      const [, protocol, where, scheduler, flags] = service;
      const { address, port } = protocol === 'FWM' ? { address: where!, port: 0 } : hostPort(where!);
      const entry: IpvsService = { protocol: protocol!, address, port, scheduler: scheduler!, reals: [] };
      if (flags) entry.flags = flags;
      services.push(entry);
      continue;
    }
    const real = /^\s+->\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    const last = services[services.length - 1];
    if (real && last) {
      const [, where, forward, weight, active, inactive] = real;
      last.reals.push({ ...hostPort(where!), forward: forward!, weight: Number(weight), active: Number(active), inactive: Number(inactive) });
    }
  }
  return services;
}

/**
 * /proc/net/nf_conntrack, or conntrack -L [-o extended] (the same, with or without the leading "ipv4 2"):
 *   ipv4 2 tcp 6 115 TIME_WAIT src=A dst=B sport=1 dport=2 src=B dst=A sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2
 * The first src/dst/sport/dport are the original direction, the second the reply.
 */
export function parseConntrack(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const tokens = line.split(/\s+/);
    if (tokens.length < 4) continue;
    let at = 0;
    let family: string | undefined;
    if (/^ipv[46]$/.test(tokens[0]!)) { family = tokens[0]; at = 2; }
    const protocol = tokens[at];
    if (!protocol || !/^\d+$/.test(tokens[at + 1] ?? '')) continue;
    at += 2;
    const entry: ConntrackEntry = { protocol, original: { src: '', dst: '' }, reply: { src: '', dst: '' }, flags: [], text: line };
    if (family) entry.family = family;
    if (/^\d+$/.test(tokens[at] ?? '')) entry.timeout = Number(tokens[at++]);
    if (tokens[at] && !tokens[at]!.includes('=') && !tokens[at]!.startsWith('[')) entry.state = tokens[at++];
    let direction = entry.original;
    const seen = new Set<string>();
    for (const token of tokens.slice(at)) {
      if (token.startsWith('[') && token.endsWith(']')) { entry.flags.push(token.slice(1, -1)); continue; }
      const eq = token.indexOf('=');
      if (eq < 0) continue;
      const key = token.slice(0, eq);
      const value = token.slice(eq + 1);
      if (key === 'src' || key === 'dst' || key === 'sport' || key === 'dport') {
        if (seen.has(key) && direction === entry.original) { direction = entry.reply; seen.clear(); }
        seen.add(key);
        if (key === 'src' || key === 'dst') direction[key] = value;
        else direction[key] = Number(value);
      } else if (key === 'mark' || key === 'zone') {
        entry[key] = Number(value);
      }
    }
    if (entry.original.src && entry.original.dst) entries.push(entry);
  }
  return entries;
}

/**
 * The script's listing of /var/lib/cni/networks/<network>/<file>: one line per
 * file, its path and then its lines ("<container id> <ifname>" for a lease, the
 * address for last_reserved_ip.N, nothing for the lock).
 */
export function parseCniLeases(text: string): CniNetworkState[] {
  const networks = new Map<string, CniNetworkState>();
  for (const raw of text.split('\n')) {
    const [path, first, second] = raw.trim().split(/\s+/);
    const match = /\/networks\/([^/]+)\/([^/]+)$/.exec(path ?? '');
    if (!match) continue;
    const [, network, file] = match;
    let state = networks.get(network!);
    if (!state) { state = { network: network!, leases: [] }; networks.set(network!, state); }
    if (/^last_reserved_ip\.\d+$/.test(file!)) {
      if (first && !state.lastReserved) state.lastReserved = first;
    } else if (file !== 'lock' && /^[0-9a-fA-F.:]+$/.test(file!)) {
      const lease: CniNetworkState['leases'][number] = { ip: file!, containerId: first ?? '' };
      if (second) lease.ifname = second;
      state.leases.push(lease);
    }
  }
  return [...networks.values()];
}

/** "/proc/sys/net/ipv4/conf/eth0.100/rp_filter:0" -> net.ipv4.conf.eth0/100.rp_filter = 0 (sysctl(8) writes a dot in a name as a slash). */
export function parseSysctls(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (!line.startsWith('/proc/sys/') || colon < 0) continue;
    const key = line.slice('/proc/sys/'.length, colon).split('/').map((part) => part.replaceAll('.', '/')).join('.');
    values[key] = line.slice(colon + 1).trim();
  }
  return values;
}
