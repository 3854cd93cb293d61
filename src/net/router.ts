// A small IPv4 router joining switch segments: ARP for its own addresses and for next hops,
// longest-prefix-match forwarding, TTL handling and the ICMP messages a student expects to see
// in ping and traceroute. It owns the frames it is given (see ports.ts) and rewrites them in place.

import { formatIpv4, formatMac, parseCidr, parseIpv4, parseMac, prefixMask, readIpv4, writeIpv4 } from './addr.js';
import { internetChecksum, checksumIsValid } from './checksum.js';
import { monotonicMs, startTimer, stopTimer } from './host.js';
import { NeighborCache, type NeighborView, type PendingResolution } from './neighbors.js';
import type { FramePort, WiredPort } from './ports.js';
import { RoutingTable, type Route, type RouteView } from './routing-table.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETH_HEADER = 14;
const ARP_PACKET = 28;
const IP_PROTO_ICMP = 1;
const ICMP_ECHO_REPLY = 0;
const ICMP_DEST_UNREACHABLE = 3;
const ICMP_ECHO_REQUEST = 8;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);
const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

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
    const sameSubnet = ((address & this.mask) >>> 0) === ((this.address & this.mask) >>> 0);
    return this.prefixLength < 31 && sameSubnet && ((address | this.mask) >>> 0) === 0xffff_ffff;
  }
}

const u16 = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;

function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value;
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
  };
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

  /** Cancels ARP retry timers and drops parked packets. */
  dispose(): void {
    for (const resolution of this.pending.values()) if (resolution.timer !== undefined) stopTimer(resolution.timer);
    this.pending.clear();
  }

  private receive(iface: RouterInterface, frame: Uint8Array): void {
    this.counters.rxFrames++;
    if (frame.length < ETH_HEADER) return this.drop('malformedDrops');
    const toUs = this.macEquals(frame, 0, iface.mac);
    if (!toUs && !this.macEquals(frame, 0, BROADCAST_MAC)) return this.drop('notForUsDrops');
    const etherType = u16(frame, 12);
    if (etherType === ETHERTYPE_ARP) this.receiveArp(iface, frame);
    else if (etherType === ETHERTYPE_IPV4) {
      // IP in an L2 broadcast is for hosts on the segment (DHCP and friends), never routed.
      if (!toUs) return this.drop('notForUsDrops');
      this.receiveIpv4(frame);
    } else this.counters.unsupportedDrops++;
  }

  private receiveArp(iface: RouterInterface, frame: Uint8Array): void {
    const a = ETH_HEADER;
    const wellFormed =
      frame.length >= a + ARP_PACKET &&
      u16(frame, a) === 1 && // Ethernet hardware
      u16(frame, a + 2) === ETHERTYPE_IPV4 &&
      frame[a + 4] === 6 &&
      frame[a + 5] === 4;
    if (!wellFormed) return this.drop('malformedDrops');
    const operation = u16(frame, a + 6);
    const senderMac = frame.subarray(a + 8, a + 14);
    const senderIp = readIpv4(frame, a + 14);
    const targetIp = readIpv4(frame, a + 24);
    const targetsUs = targetIp === iface.address;

    // RFC 826: refresh a known sender always; add a new one only if the packet was aimed at us.
    if (senderIp !== 0 && (senderMac[0]! & 1) === 0 && (targetsUs || this.neighborCache.has(senderIp))) {
      this.neighborCache.learn(senderIp, senderMac, iface.name);
      this.flushPending(senderIp);
    }
    if (operation === 1 && targetsUs) {
      this.transmitArp(iface, 2, senderMac, senderMac, senderIp);
      this.counters.arpRepliesSent++;
    }
  }

  private transmitArp(iface: RouterInterface, operation: number, ethDst: Uint8Array, targetMac: Uint8Array, targetIp: number): void {
    const frame = new Uint8Array(ETH_HEADER + ARP_PACKET);
    frame.set(ethDst, 0);
    frame.set(iface.mac, 6);
    writeU16(frame, 12, ETHERTYPE_ARP);
    writeU16(frame, 14, 1);
    writeU16(frame, 16, ETHERTYPE_IPV4);
    frame[18] = 6;
    frame[19] = 4;
    writeU16(frame, 20, operation);
    frame.set(iface.mac, 22);
    writeIpv4(frame, 28, iface.address);
    frame.set(targetMac.subarray(0, 6), 32);
    writeIpv4(frame, 38, targetIp);
    this.counters.txFrames++;
    iface.transmit(frame);
  }

  /** Validates the IPv4 header; returns its length, or 0 if the packet must be dropped. */
  private ipv4HeaderLength(frame: Uint8Array): number {
    const ip = ETH_HEADER;
    if (frame.length < ip + 20 || frame[ip]! >>> 4 !== 4) return 0;
    const headerLength = (frame[ip]! & 0x0f) * 4;
    const totalLength = u16(frame, ip + 2);
    if (headerLength < 20 || totalLength < headerLength || ip + totalLength > frame.length) return 0;
    return checksumIsValid(frame, ip, ip + headerLength) ? headerLength : 0;
  }

  private receiveIpv4(frame: Uint8Array): void {
    const ip = ETH_HEADER;
    const headerLength = this.ipv4HeaderLength(frame);
    if (headerLength === 0) return this.drop('malformedDrops');
    const source = readIpv4(frame, ip + 12);
    const destination = readIpv4(frame, ip + 16);
    if (isMartianSource(source)) return this.drop('martianDrops');
    if (this.isLocalAddress(destination)) return this.receiveLocal(frame, headerLength);
    if (destination >>> 28 === 0xe || destination === 0xffff_ffff || this.interfaceList.some((i) => i.isBroadcast(destination))) {
      return this.drop('notForUsDrops');
    }

    const ttl = frame[ip + 8]!;
    if (ttl <= 1) {
      this.counters.ttlExceeded++;
      return this.sendIcmpError(frame, ICMP_TIME_EXCEEDED, 0);
    }
    const route = this.lookupRoute(destination);
    if (route === undefined) {
      this.counters.noRoute++;
      return this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, 0);
    }
    const totalLength = u16(frame, ip + 2);
    if (totalLength > route.egress.mtu) {
      const dontFragment = (frame[ip + 6]! & 0x40) !== 0;
      if (!dontFragment) return this.drop('mtuDrops');
      this.counters.fragmentationNeeded++;
      return this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, 4, route.egress.mtu);
    }

    frame[ip + 8] = ttl - 1;
    writeU16(frame, ip + 10, 0);
    writeU16(frame, ip + 10, internetChecksum(frame, ip, ip + headerLength));
    this.counters.forwarded++;
    this.sendIpv4(route.egress, route.nextHop, frame.subarray(0, ip + totalLength));
  }

  private receiveLocal(frame: Uint8Array, headerLength: number): void {
    const ip = ETH_HEADER;
    const totalLength = u16(frame, ip + 2);
    const icmp = ip + headerLength;
    const end = ip + totalLength;
    const fragmented = (u16(frame, ip + 6) & 0x3fff) !== 0;
    const isEchoRequest =
      frame[ip + 9] === IP_PROTO_ICMP &&
      !fragmented &&
      end - icmp >= 8 &&
      frame[icmp] === ICMP_ECHO_REQUEST &&
      checksumIsValid(frame, icmp, end);
    if (!isEchoRequest) return this.drop('localDrops');

    // Reply in place: same id, sequence and payload, addresses swapped.
    const requester = readIpv4(frame, ip + 12);
    const pinged = readIpv4(frame, ip + 16);
    const route = this.lookupRoute(requester);
    if (route === undefined) return this.drop('noRoute');
    writeIpv4(frame, ip + 12, pinged);
    writeIpv4(frame, ip + 16, requester);
    frame[ip + 8] = this.originTtl;
    writeU16(frame, ip + 10, 0);
    writeU16(frame, ip + 10, internetChecksum(frame, ip, icmp));
    frame[icmp] = ICMP_ECHO_REPLY;
    writeU16(frame, icmp + 2, 0);
    writeU16(frame, icmp + 2, internetChecksum(frame, icmp, end));
    this.counters.echoReplies++;
    this.sendIpv4(route.egress, route.nextHop, frame.subarray(0, end));
  }

  /**
   * RFC 1812 §4.3.2.7: never about an ICMP error, a non-first fragment, or a source that is not
   * a single host, so errors cannot breed more errors. The source address is the egress
   * interface's, as Linux does by default.
   */
  private sendIcmpError(offending: Uint8Array, type: number, code: number, nextHopMtu = 0): void {
    const ip = ETH_HEADER;
    const headerLength = (offending[ip]! & 0x0f) * 4;
    const totalLength = u16(offending, ip + 2);
    const source = readIpv4(offending, ip + 12);
    const fragmentOffset = u16(offending, ip + 6) & 0x1fff;
    const isIcmpError =
      offending[ip + 9] === IP_PROTO_ICMP && totalLength > headerLength && ICMP_ERROR_TYPES.has(offending[ip + headerLength]!);
    if (isIcmpError || fragmentOffset !== 0 || isMartianSource(source) || this.isLocalAddress(source)) return;
    const route = this.lookupRoute(source);
    if (route === undefined) return;

    const quoted = offending.subarray(ip, ip + Math.min(totalLength, headerLength + 8));
    const frame = new Uint8Array(ETH_HEADER + 20 + 8 + quoted.length);
    writeU16(frame, 12, ETHERTYPE_IPV4);
    frame[ip] = 0x45;
    frame[ip + 1] = 0xc0; // DSCP CS6 (network control), as Linux marks ICMP errors
    writeU16(frame, ip + 2, 20 + 8 + quoted.length);
    writeU16(frame, ip + 4, this.nextIpId++ & 0xffff);
    frame[ip + 8] = this.originTtl;
    frame[ip + 9] = IP_PROTO_ICMP;
    writeIpv4(frame, ip + 12, route.egress.address);
    writeIpv4(frame, ip + 16, source);
    writeU16(frame, ip + 10, internetChecksum(frame, ip, ip + 20));
    const icmp = ip + 20;
    frame[icmp] = type;
    frame[icmp + 1] = code;
    if (type === ICMP_DEST_UNREACHABLE && code === 4) writeU16(frame, icmp + 6, nextHopMtu);
    frame.set(quoted, icmp + 8);
    writeU16(frame, icmp + 2, internetChecksum(frame, icmp, frame.length));
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
    return this.interfaceList.find((i) => ((gateway & i.mask) >>> 0) === ((i.address & i.mask) >>> 0));
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
    frame.set(mac, 0);
    frame.set(egress.mac, 6);
    writeU16(frame, 12, ETHERTYPE_IPV4);
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
    this.transmitArp(egress, 1, BROADCAST_MAC, new Uint8Array(6), nextHop);
  }

  private failResolution(nextHop: number, resolution: PendingResolution): void {
    this.pending.delete(nextHop);
    this.counters.arpResolutionFailures++;
    for (const frame of resolution.frames) this.sendIcmpError(frame, ICMP_DEST_UNREACHABLE, 1);
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

  private macEquals(frame: Uint8Array, offset: number, mac: Uint8Array): boolean {
    for (let i = 0; i < 6; i++) if (frame[offset + i] !== mac[i]) return false;
    return true;
  }
}
