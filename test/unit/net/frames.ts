// Test frames, built with src/net/wire like everything else (named offsets, one checksum).
// What keeps a wire bug from cancelling out in its own fixtures: wire.test.ts rebuilds frames
// captured from real nodes byte for byte, pcapng-tshark.test.ts has Wireshark read these, and
// the router tests check their answers at literal offsets with the plain checksum below.
import { parseIpv4, parseIpv6, parseMac } from '../../../src/net/addr.js';
import {
  buildArp,
  buildDnsHeader,
  buildDnsQuestion,
  buildDnsRecord,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  buildIpv6,
  buildTcp,
  buildUdp,
  buildVxlan,
  DNS_TYPE_A,
  dnsNamePointer,
  DNS_HEADER_LENGTH,
  encodeDnsName,
  ETHERTYPE_IPV4,
  ICMP_ECHO_REQUEST,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from '../../../src/net/wire/index.js';

export function bytes(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const be16 = (n: number): number[] => [(n >>> 8) & 255, n & 255];

export function mac(text: string): number[] {
  return Array.from(parseMac(text));
}

export function ip(text: string): number[] {
  return text.split('.').map(Number);
}

/** RFC 1071, written out plainly: an oracle for assertions, independent of src/net/checksum.ts. */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) + (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function toHex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export interface EthernetSpec {
  dst: string;
  src: string;
  type: number;
  /** VLAN IDs, outermost first; each becomes an 802.1Q tag. */
  vlans?: number[];
  payload?: Uint8Array;
  /** Pad to the 60-byte Ethernet minimum, as a real NIC would. */
  pad?: boolean;
}

export function ethernet(spec: EthernetSpec): Uint8Array {
  const header = { destination: parseMac(spec.dst), source: parseMac(spec.src), etherType: spec.type, vlanTags: (spec.vlans ?? []).map((id) => ({ id })) };
  return buildEthernet(header, spec.payload ?? new Uint8Array(), spec.pad);
}

export interface ArpSpec {
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}

export function arp(spec: ArpSpec): Uint8Array {
  return buildArp({
    operation: spec.op,
    senderMac: parseMac(spec.senderMac),
    senderIp: parseIpv4(spec.senderIp),
    ...(spec.targetMac === undefined ? {} : { targetMac: parseMac(spec.targetMac) }),
    targetIp: parseIpv4(spec.targetIp),
  });
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  payload: Uint8Array;
  /** Overrides the computed checksum (to build corrupt packets). */
  checksum?: number;
}

export function ipv4(spec: Ipv4Spec): Uint8Array {
  return buildIpv4(
    {
      source: parseIpv4(spec.src),
      destination: parseIpv4(spec.dst),
      protocol: spec.protocol,
      ttl: spec.ttl ?? 64,
      identification: spec.id ?? 0x1234,
      dontFragment: spec.dontFragment ?? false,
      ...(spec.checksum === undefined ? {} : { checksum: spec.checksum }),
    },
    spec.payload,
  );
}

export function ipv6(spec: { src: string; dst: string; nextHeader: number; hopLimit?: number; payload: Uint8Array }): Uint8Array {
  return buildIpv6({ source: parseIpv6(spec.src), destination: parseIpv6(spec.dst), nextHeader: spec.nextHeader, hopLimit: spec.hopLimit ?? 64 }, spec.payload);
}

export function icmpEcho(spec: { type?: 0 | 8; id: number; seq: number; data?: Uint8Array }): Uint8Array {
  return buildIcmp({ type: spec.type ?? ICMP_ECHO_REQUEST, identifier: spec.id, sequence: spec.seq }, spec.data ?? new Uint8Array(8).fill(0x61));
}

/** The UDP checksum is left 0 ("none"), as VXLAN senders do. */
export function udp(spec: { srcPort: number; dstPort: number; payload: Uint8Array }): Uint8Array {
  return buildUdp({ sourcePort: spec.srcPort, destinationPort: spec.dstPort }, spec.payload);
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: TCP_FIN, SYN: TCP_SYN, RST: TCP_RST, PSH: TCP_PSH, ACK: TCP_ACK, URG: TCP_URG, ECE: TCP_ECE, CWR: TCP_CWR };

/** The TCP checksum is left 0. */
export function tcp(spec: {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: string[];
  window?: number;
  mss?: number;
  windowScale?: number;
  payload?: Uint8Array;
}): Uint8Array {
  return buildTcp(
    {
      sourcePort: spec.srcPort,
      destinationPort: spec.dstPort,
      sequence: spec.seq,
      acknowledgment: spec.ack ?? 0,
      flags: spec.flags.reduce((bits, f) => bits | (TCP_FLAG_BITS[f] ?? 0), 0),
      window: spec.window ?? 64240,
      ...(spec.mss === undefined ? {} : { mss: spec.mss }),
      ...(spec.windowScale === undefined ? {} : { windowScale: spec.windowScale }),
    },
    spec.payload ?? new Uint8Array(),
  );
}

export function vxlan(spec: { vni: number; inner: Uint8Array }): Uint8Array {
  return buildVxlan({ vni: spec.vni }, spec.inner);
}

/** Uncompressed DNS name. */
export function dnsName(name: string): number[] {
  return Array.from(encodeDnsName(name));
}

export function dnsQuery(id: number, name: string, type = DNS_TYPE_A): Uint8Array {
  return bytes(buildDnsHeader({ id, flags: 0x0100, questionCount: 1 }), buildDnsQuestion(encodeDnsName(name), type));
}

/** A response whose answer names point back at the question (offset 12) with 0xc00c. */
export function dnsAResponse(id: number, name: string, addresses: string[]): Uint8Array {
  const toQuestion = dnsNamePointer(DNS_HEADER_LENGTH);
  const answers = addresses.map((a) => buildDnsRecord({ name: toQuestion, type: DNS_TYPE_A, ttl: 30, data: Uint8Array.from(ip(a)) }));
  return bytes(buildDnsHeader({ id, flags: 0x8180, questionCount: 1, answerCount: addresses.length }), buildDnsQuestion(encodeDnsName(name), DNS_TYPE_A), ...answers);
}

/** Common composition: Ethernet + IPv4 + payload protocol. */
export function ipFrame(spec: Omit<Ipv4Spec, 'payload'> & { srcMac: string; dstMac: string; payload: Uint8Array }): Uint8Array {
  const { srcMac, dstMac, ...ipSpec } = spec;
  return ethernet({ dst: dstMac, src: srcMac, type: ETHERTYPE_IPV4, payload: ipv4(ipSpec) });
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}
