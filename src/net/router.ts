// A small IPv4 router joining switch segments: ARP for its own addresses and for next hops,
// longest-prefix-match forwarding, TTL handling and the ICMP messages a student expects to see
// in ping and traceroute. It owns the frames it is given (see ports.ts) and rewrites them in place.

import { cidrContains, formatIpv4, formatMac, parseCidr, parseIpv4, parseMac, prefixMask } from './addr.js';
import { checksumIsValid } from './checksum.js';
import { monotonicMs, startTimer, stopTimer } from './host.js';
import { NeighborCache, type NeighborView, type PendingResolution } from './neighbors.js';
import type { FramePort, WiredPort } from './ports.js';
import { RoutingTable, type Route, type RouteView } from './routing-table.js';
import {
  ARP_HARDWARE_ETHERNET,
  ARP_PACKET_LENGTH,
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  ETH_DESTINATION,
  ETH_SOURCE,
  ETH_HEADER_LENGTH,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  etherTypeOf,
  fillIcmpChecksum,
  fillIpv4Checksum,
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_ERROR_TYPES,
  ICMP_FRAGMENTATION_NEEDED,
  ICMP_HEADER_LENGTH,
  ICMP_QUOTED_PAYLOAD,
  ICMP_TIME_EXCEEDED,
  ICMP_TYPE,
  ICMP_UNREACHABLE_HOST,
  ICMP_UNREACHABLE_NET,
  IP_PROTOCOL_ICMP,
  IPV4_DESTINATION,
  IPV4_MIN_HEADER_LENGTH,
  IPV4_SOURCE,
  IPV4_TTL,
  isMulticastMac,
  isWireError,
  macEquals,
  readArp,
  readIpv4,
  u8,
  writeArp,
  writeEthernet,
  writeIcmp,
  writeIpv4,
  writeIpv4Address,
  type Ipv4Header,
} from './wire/index.js';

/** DSCP CS6 (network control), as Linux marks the ICMP errors it sends. */
const DSCP_NETWORK_CONTROL = 48;
/** Every frame the router handles is untagged Ethernet, so IPv4 and ARP start right after it. */
const L3 = ETH_HEADER_LENGTH;

export interface RouterInterfaceConfig {
  name: string;
  mac: string;
  /** Address and connected prefix, e.g. "10.0.1.1/24". */
  address: string;
  mtu?: number;
}

export interface RouterOptions {
  name?: string;
  now?: () => number;
  arpCacheTtlMs?: number;
  maxArpEntries?: number;
  /** Gap between ARP requests for an unresolved next hop. */
  arpRetryMs?: number;
  /** Requests sent before giving up and answering queued packets with host-unreachable. */
  arpAttempts?: number;
  maxQueuedPerNextHop?: number;
  maxUnresolvedNextHops?: number;
  /** TTL for packets the router originates (echo replies, ICMP errors). */
  originTtl?: number;
}

export interface RouterCounters {
  rxFrames: number;
  txFrames: number;
  forwarded: number;
  malformedDrops: number;
  /** Unicast to another MAC, L2/IP broadcast or multicast: not something a router forwards. */
  notForUsDrops: number;
  /** Source address that can never be a sender (0/8, multicast, broadcast). */
  martianDrops: number;
  unsupportedDrops: number;
  /** Addressed to the router but not an echo request: there is no local stack behind it. */
  localDrops: number;
  ttlExceeded: number;
  noRoute: number;
  fragmentationNeeded: number;
  /** Too big for the egress MTU without DF; this router does not fragment. */
  mtuDrops: number;
  echoReplies: number;
  icmpErrorsSent: number;
  arpRequestsSent: number;
  arpRepliesSent: number;
  arpResolutionFailures: number;
  /** Packets dropped because the wait-for-ARP queues were full. */
  pendingDrops: number;
  /** Packets handed to the attached service (attachService). */
  servicePackets: number;
}

/**
 * A service that lives in the network (tcp-endpoint.ts's TcpEndpoint): packets to an address it
 * claims are its own, whichever interface they come in on, and it answers with whole IPv4 packets.
 */
export interface LocalService {
  /** Whether a packet to this address and IP protocol is the service's (the rest stays the router's: ping). */
  claims(address: number, protocol: number): boolean;
  receive(packet: Uint8Array, header: Ipv4Header, reply: (packet: Uint8Array) => void): void;
}

type DropCounter = 'malformedDrops' | 'notForUsDrops' | 'martianDrops' | 'unsupportedDrops' | 'localDrops' | 'mtuDrops' | 'noRoute' | 'pendingDrops';

type IngressHandler = (iface: RouterInterface, frame: Uint8Array) => void;

export class RouterInterface implements WiredPort {
  readonly name: string;
  readonly mac: Uint8Array;
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
  mtu: number;
  peer: FramePort | null = null;
  rxFrames = 0;
  txFrames = 0;
  private readonly ingress: IngressHandler;

  constructor(config: RouterInterfaceConfig, ingress: IngressHandler) {
    const cidr = parseCidr(config.address);
    this.name = config.name;
    this.mac = parseMac(config.mac);
    this.address = cidr.address;
    this.prefixLength = cidr.prefixLength;
    this.mask = prefixMask(cidr.prefixLength);
    this.mtu = config.mtu ?? 1500;
    this.ingress = ingress;
  }

  get addressText(): string {
    return `${formatIpv4(this.address)}/${this.prefixLength}`;
  }

  get macText(): string {
    return formatMac(this.mac);
  }

  /** A frame arriving from the segment. */
  deliver(frame: Uint8Array): void {
    this.rxFrames++;
    this.ingress(this, frame);
  }

  connect(peer: FramePort | null): void {
    this.peer = peer;
  }

  transmit(frame: Uint8Array): void {
    if (this.peer === null) return;
    this.txFrames++;
    this.peer.deliver(frame);
  }

  /** The subnet's directed-broadcast address (none for /31 and /32 point-to-point prefixes). */
  isBroadcast(address: number): boolean {
    return this.prefixLength < 31 && this.onSubnet(address) && ((address | this.mask) >>> 0) === 0xffff_ffff;
  }

  onSubnet(address: number): boolean {
    return cidrContains(this, address);
  }
}

function isMartianSource(address: number): boolean {
  const firstOctet = address >>> 24;
  return firstOctet === 0 || firstOctet >= 224;
}

export class Router {
  readonly name: string;
  readonly counters: RouterCounters = {
    rxFrames: 0,
    txFrames: 0,
    forwarded: 0,
    malformedDrops: 0,
    notForUsDrops: 0,
    martianDrops: 0,
    unsupportedDrops: 0,
    localDrops: 0,
    ttlExceeded: 0,
    noRoute: 0,
    fragmentationNeeded: 0,
    mtuDrops: 0,
    echoReplies: 0,
    icmpErrorsSent: 0,
    arpRequestsSent: 0,
    arpRepliesSent: 0,
    arpResolutionFailures: 0,
    pendingDrops: 0,
    servicePackets: 0,
  };
  private service: LocalService | null = null;
  private readonly interfaceList: RouterInterface[] = [];
  private readonly table = new RoutingTable();
  private readonly neighborCache: NeighborCache;
  private readonly pending = new Map<number, PendingResolution>();
  private readonly arpRetryMs: number;
  private readonly arpAttempts: number;
  private readonly maxQueuedPerNextHop: number;
  private readonly maxUnresolvedNextHops: number;
  private readonly originTtl: number;
  private nextIpId = 1;
  private readonly handleIngress: IngressHandler = (iface, frame) => this.receive(iface, frame);

  constructor(options: RouterOptions = {}) {
    this.name = options.name ?? 'router';
    const now = options.now ?? monotonicMs;
    this.neighborCache = new NeighborCache(options.arpCacheTtlMs ?? 60_000, options.maxArpEntries ?? 1024, now);
    this.arpRetryMs = options.arpRetryMs ?? 1000;
    this.arpAttempts = Math.max(1, options.arpAttempts ?? 3);
    this.maxQueuedPerNextHop = Math.max(1, options.maxQueuedPerNextHop ?? 16);
    this.maxUnresolvedNextHops = Math.max(1, options.maxUnresolvedNextHops ?? 64);
    this.originTtl = options.originTtl ?? 64;
  }

  get interfaces(): readonly RouterInterface[] {
    return this.interfaceList;
  }

  interface(name: string): RouterInterface | undefined {
    return this.interfaceList.find((i) => i.name === name);
  }

  /** Adds an interface and its connected route. Wire it to a switch port with Link.between or wire(). */
  addInterface(config: RouterInterfaceConfig): RouterInterface {
    if (this.interface(config.name)) throw new Error(`${this.name}: duplicate interface ${config.name}`);
    const iface = new RouterInterface(config, this.handleIngress);
    this.interfaceList.push(iface);
    this.table.add({
      destination: iface.address,
      prefixLength: iface.prefixLength,
      via: undefined,
      interfaceName: iface.name,
      kind: 'connected',
    });
    return iface;
  }

  /** Static route, e.g. addRoute("10.244.2.0/24", "10.0.0.12") or addRoute("0.0.0.0/0", gw). */
  addRoute(destination: string, via: string): void {
    const cidr = parseCidr(destination);
    this.table.add({
      destination: cidr.address,
      prefixLength: cidr.prefixLength,
      via: parseIpv4(via),
      interfaceName: undefined,
      kind: 'static',
    });
  }

  removeRoute(destination: string): boolean {
    const cidr = parseCidr(destination);
    return this.table.remove(cidr.address, cidr.prefixLength, 'static');
  }

  routes(): RouteView[] {
    return this.table.view();
  }

  neighbors(): NeighborView[] {
    return this.neighborCache.view();
  }

  /**
   * Puts a service behind the router: it gets every packet to an address it claims (before
   * forwarding, so a claimed address needs no route). Its answers go back out the interface the
   * packet came in on, to the MAC it came from: the hop that sent it, which is also the way
   * back for a pod behind a node, though the router has no route to the pod network. null detaches.
   */
  attachService(service: LocalService | null): void {
    this.service = service;
  }

  /** Cancels ARP retry timers and drops parked packets. */
  dispose(): void {
    for (const resolution of this.pending.values()) if (resolution.timer !== undefined) stopTimer(resolution.timer);
    this.pending.clear();
  }

  private receive(iface: RouterInterface, frame: Uint8Array): void {
    this.counters.rxFrames++;
    if (frame.length < ETH_HEADER_LENGTH) return this.drop('malformedDrops');
    const toUs = macEquals(frame, ETH_DESTINATION, iface.mac);
    if (!toUs && !macEquals(frame, ETH_DESTINATION, BROADCAST_MAC)) return this.drop('notForUsDrops');
    // Only untagged frames: a VLAN tag here reads as an unsupported EtherType.
    const etherType = etherTypeOf(frame);
    if (etherType === ETHERTYPE_ARP) this.receiveArp(iface, frame);
    else if (etherType === ETHERTYPE_IPV4) {
      // IP in an L2 broadcast is for hosts on the segment (DHCP and friends), never routed.
      if (!toUs) return this.drop('notForUsDrops');
      this.receiveIpv4(iface, frame);
    } else this.counters.unsupportedDrops++;
  }

  private receiveArp(iface: RouterInterface, frame: Uint8Array): void {
    const arp = readArp(frame, L3);
    if (isWireError(arp) || arp.hardwareType !== ARP_HARDWARE_ETHERNET) return this.drop('malformedDrops');
    const targetsUs = arp.targetIp === iface.address;

    // RFC 826: refresh a known sender always; add a new one only if the packet was aimed at us.
    if (arp.senderIp !== 0 && !isMulticastMac(arp.senderMac, 0) && (targetsUs || this.neighborCache.has(arp.senderIp))) {
      this.neighborCache.learn(arp.senderIp, arp.senderMac, iface.name);
      this.flushPending(arp.senderIp);
    }
    if (arp.operation === ARP_REQUEST && targetsUs) {
      this.transmitArp(iface, ARP_REPLY, arp.senderMac, arp.senderMac, arp.senderIp);
      this.counters.arpRepliesSent++;
    }
  }

  private transmitArp(iface: RouterInterface, operation: number, ethDst: Uint8Array, targetMac: Uint8Array, targetIp: number): void {
    const frame = new Uint8Array(ETH_HEADER_LENGTH + ARP_PACKET_LENGTH);
    const arp = writeEthernet(frame, 0, { destination: ethDst, source: iface.mac, etherType: ETHERTYPE_ARP });
    writeArp(frame, arp, { operation, senderMac: iface.mac, senderIp: iface.address, targetMac, targetIp });
    this.counters.txFrames++;
    iface.transmit(frame);
  }

  /** The IPv4 header if the packet is whole and its header checksum right; undefined means drop. */
  private validIpv4(frame: Uint8Array): Ipv4Header | undefined {
    const header = readIpv4(frame, L3);
    if (isWireError(header) || L3 + header.totalLength > frame.length) return undefined;
    return checksumIsValid(frame, L3, L3 + header.headerLength) ? header : undefined;
  }

  private receiveIpv4(iface: RouterInterface, frame: Uint8Array): void {
    const header = this.validIpv4(frame);
    if (header === undefined) return this.drop('malformedDrops');
    const { source, destination, ttl, totalLength } = header;
    if (isMartianSource(source)) return this.drop('martianDrops');
    if (this.service?.claims(destination, header.protocol)) return this.toService(this.service, iface, frame, header);
    if (this.isLocalAddress(destination)) return this.receiveLocal(frame, header);
    if (destination >>> 28 === 0xe || destination === 0xffff_ffff || this.interfaceList.some((i) => i.isBroadcast(destination))) {
      return this.drop('notForUsDrops');
    }

    if (ttl <= 1) {
      this.counters.ttlExceeded++;
      return this.sendIcmpError(frame, ICMP_TIME_EXCEEDED, 0);
    }
    const route = this.lookupRoute(destination);
    if (route === undefined) {
      this.counters.noRoute++;
      return this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, ICMP_UNREACHABLE_NET);
    }
    if (totalLength > route.egress.mtu) {
      if (!header.dontFragment) return this.drop('mtuDrops');
      this.counters.fragmentationNeeded++;
      return this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, ICMP_FRAGMENTATION_NEEDED, route.egress.mtu);
    }

    frame[L3 + IPV4_TTL] = ttl - 1;
    fillIpv4Checksum(frame, L3, header.headerLength);
    this.counters.forwarded++;
    this.sendIpv4(route.egress, route.nextHop, frame.subarray(0, L3 + totalLength));
  }

  private toService(service: LocalService, iface: RouterInterface, frame: Uint8Array, header: Ipv4Header): void {
    this.counters.servicePackets++;
    const hop = frame.slice(ETH_SOURCE, ETH_SOURCE + 6);
    service.receive(frame.subarray(L3, L3 + header.totalLength), header, (packet) => {
      const out = new Uint8Array(L3 + packet.length);
      writeEthernet(out, 0, { destination: hop, source: iface.mac, etherType: ETHERTYPE_IPV4 });
      out.set(packet, L3);
      this.counters.txFrames++;
      iface.transmit(out);
    });
  }

  private receiveLocal(frame: Uint8Array, header: Ipv4Header): void {
    const icmp = L3 + header.headerLength;
    const end = L3 + header.totalLength;
    const fragmented = header.moreFragments || header.fragmentOffset !== 0;
    const isEchoRequest =
      header.protocol === IP_PROTOCOL_ICMP &&
      !fragmented &&
      end - icmp >= ICMP_HEADER_LENGTH &&
      frame[icmp + ICMP_TYPE] === ICMP_ECHO_REQUEST &&
      checksumIsValid(frame, icmp, end);
    if (!isEchoRequest) return this.drop('localDrops');

    // Reply in place: same id, sequence and payload, addresses swapped.
    const requester = header.source;
    const route = this.lookupRoute(requester);
    if (route === undefined) return this.drop('noRoute');
    writeIpv4Address(frame, L3 + IPV4_SOURCE, header.destination);
    writeIpv4Address(frame, L3 + IPV4_DESTINATION, requester);
    frame[L3 + IPV4_TTL] = this.originTtl;
    fillIpv4Checksum(frame, L3, header.headerLength);
    frame[icmp + ICMP_TYPE] = ICMP_ECHO_REPLY;
    fillIcmpChecksum(frame, icmp, end);
    this.counters.echoReplies++;
    this.sendIpv4(route.egress, route.nextHop, frame.subarray(0, end));
  }

  /**
   * RFC 1812 §4.3.2.7: never about an ICMP error, a non-first fragment, or a source that is not
   * a single host, so errors cannot breed more errors. The source address is the egress
   * interface's, as Linux does by default. `offending` passed validIpv4 before it got here.
   */
  private sendIcmpError(offending: Uint8Array, type: number, code: number, nextHopMtu?: number): void {
    const header = readIpv4(offending, L3);
    if (isWireError(header)) return;
    const { headerLength, totalLength, source } = header;
    // Even an ICMP payload cut shorter than its header shows its type.
    const isIcmpError =
      header.protocol === IP_PROTOCOL_ICMP && totalLength > headerLength && ICMP_ERROR_TYPES.has(u8(offending, L3 + headerLength + ICMP_TYPE));
    if (isIcmpError || header.fragmentOffset !== 0 || isMartianSource(source) || this.isLocalAddress(source)) return;
    const route = this.lookupRoute(source);
    if (route === undefined) return;

    const quoted = offending.subarray(L3, L3 + Math.min(totalLength, headerLength + ICMP_QUOTED_PAYLOAD));
    const icmpLength = ICMP_HEADER_LENGTH + quoted.length;
    const frame = new Uint8Array(ETH_HEADER_LENGTH + IPV4_MIN_HEADER_LENGTH + icmpLength);
    // The MACs are filled in by transmitIpv4 once the next hop is resolved.
    const ip = writeEthernet(frame, 0, { destination: new Uint8Array(6), source: new Uint8Array(6), etherType: ETHERTYPE_IPV4 });
    const icmp = writeIpv4(
      frame,
      ip,
      {
        source: route.egress.address,
        destination: source,
        protocol: IP_PROTOCOL_ICMP,
        ttl: this.originTtl,
        identification: this.nextIpId++ & 0xffff,
        dscp: DSCP_NETWORK_CONTROL,
      },
      icmpLength,
    );
    frame.set(quoted, icmp + ICMP_HEADER_LENGTH);
    writeIcmp(frame, icmp, frame.length, { type, code, ...(nextHopMtu === undefined ? {} : { nextHopMtu }) });
    this.counters.icmpErrorsSent++;
    this.sendIpv4(route.egress, route.nextHop, frame);
  }

  private lookupRoute(destination: number): { egress: RouterInterface; nextHop: number } | undefined {
    let egress: RouterInterface | undefined;
    const route = this.table.lookup(destination, (candidate: Route) => {
      egress = this.egressFor(candidate);
      return egress !== undefined;
    });
    if (route === undefined || egress === undefined) return undefined;
    return { egress, nextHop: route.via ?? destination };
  }

  /** Connected routes name their interface; a static route's gateway must sit on a connected subnet. */
  private egressFor(route: Route): RouterInterface | undefined {
    if (route.via === undefined) return this.interface(route.interfaceName ?? '');
    const gateway = route.via;
    return this.interfaceList.find((i) => i.onSubnet(gateway));
  }

  private isLocalAddress(address: number): boolean {
    return this.interfaceList.some((i) => i.address === address);
  }

  private sendIpv4(egress: RouterInterface, nextHop: number, frame: Uint8Array): void {
    const mac = this.neighborCache.lookup(nextHop);
    if (mac !== undefined) return this.transmitIpv4(egress, mac, frame);

    const waiting = this.pending.get(nextHop);
    if (waiting !== undefined) {
      // Like Linux's unres_qlen: keep the newest packets, drop the oldest.
      if (waiting.frames.length >= this.maxQueuedPerNextHop) {
        waiting.frames.shift();
        this.counters.pendingDrops++;
      }
      waiting.frames.push(frame);
      return;
    }
    if (this.pending.size >= this.maxUnresolvedNextHops) return this.drop('pendingDrops');
    // Park the packet before asking: on an all-synchronous path the ARP reply arrives (and
    // flushes the queue) before requestResolution even returns.
    const resolution: PendingResolution = { interfaceName: egress.name, frames: [frame], attempts: 0, timer: undefined };
    this.pending.set(nextHop, resolution);
    this.requestResolution(nextHop, resolution);
  }

  private transmitIpv4(egress: RouterInterface, mac: Uint8Array, frame: Uint8Array): void {
    writeEthernet(frame, 0, { destination: mac, source: egress.mac, etherType: ETHERTYPE_IPV4 });
    this.counters.txFrames++;
    egress.transmit(frame);
  }

  private requestResolution(nextHop: number, resolution: PendingResolution): void {
    const egress = this.interface(resolution.interfaceName);
    if (egress === undefined || resolution.attempts >= this.arpAttempts) return this.failResolution(nextHop, resolution);
    resolution.attempts++;
    resolution.timer = startTimer(() => {
      resolution.timer = undefined;
      if (this.pending.get(nextHop) === resolution) this.requestResolution(nextHop, resolution);
    }, this.arpRetryMs);
    this.counters.arpRequestsSent++;
    this.transmitArp(egress, ARP_REQUEST, BROADCAST_MAC, new Uint8Array(6), nextHop);
  }

  private failResolution(nextHop: number, resolution: PendingResolution): void {
    this.pending.delete(nextHop);
    this.counters.arpResolutionFailures++;
    for (const frame of resolution.frames) this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, ICMP_UNREACHABLE_HOST);
  }

  private flushPending(address: number): void {
    const resolution = this.pending.get(address);
    const mac = this.neighborCache.lookup(address);
    const egress = resolution && this.interface(resolution.interfaceName);
    if (resolution === undefined || mac === undefined || egress === undefined) return;
    this.pending.delete(address);
    if (resolution.timer !== undefined) stopTimer(resolution.timer);
    for (const frame of resolution.frames) this.transmitIpv4(egress, mac, frame);
  }

  private drop(reason: DropCounter): void {
    this.counters[reason]++;
  }
}
