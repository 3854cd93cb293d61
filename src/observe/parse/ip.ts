// iproute2's JSON (ip -details -json, bridge -json; iproute2 6.1) to facts.
// Every reader takes `unknown` and skips what does not look right, so one odd
// entry never costs the rest.
import type { AddressFact, FdbFact, LinkFact, NamespaceFacts, NeighbourFact, RouteFact } from '../facts-types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);
const str = (o: Json, key: string): string | undefined => (typeof o[key] === 'string' && o[key] !== '' ? (o[key] as string) : undefined);
const num = (o: Json, key: string): number | undefined => (typeof o[key] === 'number' ? (o[key] as number) : undefined);
const strings = (o: Json, key: string): string[] => (Array.isArray(o[key]) ? (o[key] as unknown[]).filter((s): s is string => typeof s === 'string') : []);
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Assign the optional fields that have a value (exactOptionalPropertyTypes-friendly, and keeps JSON small). */
function defined<T extends object>(target: T, extra: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

/** `ip -d -j address show`: every link with its addresses. */
export function parseLinksAndAddresses(json: unknown): { links: LinkFact[]; addresses: AddressFact[] } {
  const links: LinkFact[] = [];
  const addresses: AddressFact[] = [];
  for (const entry of objects(json)) {
    const name = str(entry, 'ifname');
    const index = num(entry, 'ifindex');
    if (name === undefined || index === undefined) continue;
    links.push(parseLink(entry, name, index));
    for (const info of objects(entry.addr_info)) {
      const address = str(info, 'local');
      const prefixLength = num(info, 'prefixlen');
      const family = info.family === 'inet' ? 4 : info.family === 'inet6' ? 6 : undefined;
      if (!address || prefixLength === undefined || !family) continue;
      addresses.push(defined<AddressFact>({ dev: name, family, address, prefixLength, cidr: `${address}/${prefixLength}` }, {
        scope: str(info, 'scope'),
        peer: str(info, 'address'),
      }));
    }
  }
  return { links, addresses };
}

function parseLink(entry: Json, name: string, index: number): LinkFact {
  const flags = strings(entry, 'flags');
  const linkinfo = isObject(entry.linkinfo) ? entry.linkinfo : {};
  const kind = str(linkinfo, 'info_kind');
  const data = isObject(linkinfo.info_data) ? linkinfo.info_data : undefined;
  const slaveData = isObject(linkinfo.info_slave_data) ? linkinfo.info_slave_data : undefined;
  const address = str(entry, 'address');
  const link: LinkFact = {
    name,
    index,
    // A TAP is a TUN device in Ethernet mode: ip reports both as kind tun, told apart by info_data.type.
    type: kind === 'tun' && data?.type === 'tap' ? 'tap' : kind ?? (entry.link_type === 'loopback' ? 'loopback' : 'device'),
    state: str(entry, 'operstate') ?? 'UNKNOWN',
    up: flags.includes('UP'),
    flags,
    mtu: num(entry, 'mtu') ?? 0,
  };
  defined(link, {
    mac: address && MAC.test(address) ? address : undefined,
    master: str(entry, 'master'),
    // A vlan or macvlan names its lower device; a veth whose peer is in the same namespace names the peer.
    link: kind !== 'veth' ? str(entry, 'link') : undefined,
  });
  if (kind === 'veth') {
    const peerIndex = num(entry, 'link_index');
    const peerName = str(entry, 'link');
    if (peerIndex !== undefined) link.peer = defined({ index: peerIndex }, { netnsId: num(entry, 'link_netnsid') });
    else if (peerName) link.peer = { index: -1, ifname: peerName, name: peerName };
  }
  if (kind === 'vxlan' && data) {
    link.vxlan = defined({ vni: num(data, 'id') ?? 0, port: num(data, 'port') ?? 0, learning: data.learning !== false }, {
      local: str(data, 'local') ?? str(data, 'local6'),
      remote: str(data, 'remote') ?? str(data, 'remote6'),
      group: str(data, 'group') ?? str(data, 'group6'),
      dev: str(data, 'link'),
    });
    if (link.vxlan.dev) link.link ??= link.vxlan.dev;
  }
  if (kind && /^(ipip|gre|gretap|sit|ip6tnl|ip6gre|ip6gretap)$/.test(kind) && data) {
    const endpoint = (key: string) => { const value = str(data, key); return value === 'any' ? undefined : value; };
    link.tunnel = defined({}, { local: endpoint('local'), remote: endpoint('remote') });
  }
  if (kind === 'vlan' && data) link.vlan = defined({ id: num(data, 'id') ?? 0 }, { protocol: str(data, 'protocol') });
  return defined(link, { kindData: data, slaveKind: str(linkinfo, 'info_slave_kind'), slaveData });
}

const familyOf = (...addresses: (string | undefined)[]): 4 | 6 => (addresses.some((a) => a?.includes(':')) ? 6 : 4);

/** `ip -d -j route show table all`. Host routes get /32 (or /128); the family is told by the addresses, or by the IPv6-only pref field. */
export function parseRoutes(json: unknown): RouteFact[] {
  const routes: RouteFact[] = [];
  for (const entry of objects(json)) {
    const dst = str(entry, 'dst');
    if (!dst) continue;
    const via = str(entry, 'gateway') ?? (isObject(entry.via) ? str(entry.via, 'host') : undefined);
    const src = str(entry, 'prefsrc');
    const nexthops = objects(entry.nexthops).map((hop) => defined({}, {
      via: str(hop, 'gateway') ?? (isObject(hop.via) ? str(hop.via, 'host') : undefined),
      dev: str(hop, 'dev'),
      weight: num(hop, 'weight'),
    }) as { via?: string; dev?: string; weight?: number });
    const family = 'pref' in entry ? 6 : familyOf(dst, via, src, ...nexthops.map((h) => h.via));
    const destination = dst === 'default' || dst.includes('/') ? dst : `${dst}/${family === 6 ? 128 : 32}`;
    routes.push(defined<RouteFact>({ table: str(entry, 'table') ?? (typeof entry.table === 'number' ? String(entry.table) : 'main'), family, destination }, {
      via,
      dev: str(entry, 'dev'),
      src,
      protocol: str(entry, 'protocol'),
      scope: str(entry, 'scope'),
      type: str(entry, 'type'),
      metric: num(entry, 'metric'),
      flags: strings(entry, 'flags').length ? strings(entry, 'flags') : undefined,
      nexthops: nexthops.length ? nexthops : undefined,
    }));
  }
  return routes;
}

/** `ip -j neighbour show`. */
export function parseNeighbours(json: unknown): NeighbourFact[] {
  const neighbours: NeighbourFact[] = [];
  for (const entry of objects(json)) {
    const address = str(entry, 'dst');
    const dev = str(entry, 'dev');
    if (!address || !dev) continue;
    neighbours.push(defined<NeighbourFact>({ dev, family: familyOf(address), address, state: strings(entry, 'state') }, { mac: str(entry, 'lladdr') }));
  }
  return neighbours;
}

/** `bridge -j fdb show`. Learned entries have an empty state; we leave it out. */
export function parseFdb(json: unknown): FdbFact[] {
  const fdb: FdbFact[] = [];
  for (const entry of objects(json)) {
    const mac = str(entry, 'mac');
    const dev = str(entry, 'ifname');
    if (!mac || !dev) continue;
    fdb.push(defined<FdbFact>({ dev, mac, flags: strings(entry, 'flags') }, {
      dst: str(entry, 'dst'),
      master: str(entry, 'master'),
      vlan: num(entry, 'vlan'),
      vni: num(entry, 'vni'),
      state: str(entry, 'state'),
    }));
  }
  return fdb;
}

/** `ip -j netns list-id`. */
export function parseNetnsIds(json: unknown): { nsid: number; name?: string }[] {
  return objects(json).flatMap((entry) => {
    const nsid = num(entry, 'nsid');
    return nsid === undefined ? [] : [defined<{ nsid: number; name?: string }>({ nsid }, { name: str(entry, 'name') })];
  });
}

/**
 * Names the far end of every veth. A namespace names the others by nsid, and
 * `ip netns list-id` maps an nsid to a name only for namespaces in /run/netns, so
 * the node's own namespace (and any unnamed one) is found the other way round:
 * the one namespace whose link at peer.index points back at us.
 */
export function resolvePeers(namespaces: NamespaceFacts[]): void {
  const display = (netns: string, ifname: string) => (netns ? `${netns}:${ifname}` : ifname);
  for (const ns of namespaces) {
    for (const link of ns.links) {
      const peer = link.peer;
      if (!peer) continue;
      if (peer.index < 0 && peer.ifname) {
        // Both ends here: ip printed the peer's name.
        const other = ns.links.find((l) => l.name === peer.ifname);
        if (other) peer.index = other.index;
        peer.netns = ns.name;
        peer.name = display(ns.name, peer.ifname);
        continue;
      }
      let target: NamespaceFacts | undefined;
      if (peer.netnsId === undefined) {
        target = ns;
      } else {
        const named = ns.netnsIds.find((entry) => entry.nsid === peer.netnsId)?.name;
        target = named !== undefined ? namespaces.find((other) => other.name === named) : undefined;
        if (!target) {
          const candidates = namespaces.filter((other) => other !== ns && other.links.some((l) => l.index === peer.index && l.peer?.index === link.index));
          if (candidates.length === 1) target = candidates[0];
        }
      }
      const other = target?.links.find((l) => l.index === peer.index);
      if (target && other) {
        peer.netns = target.name;
        peer.ifname = other.name;
        peer.name = display(target.name, other.name);
      }
    }
  }
}
