// Builders for hand-made test frames. Deliberately independent of src/net (own checksum, own
// byte layout) so a bug in the code under test cannot cancel out in its own fixtures.

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
export const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

export function mac(text: string): number[] {
  return text.split(':').map((h) => parseInt(h, 16));
}

export function ip(text: string): number[] {
  return text.split('.').map(Number);
}

/** RFC 1071, written out plainly. */
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
  const tags = (spec.vlans ?? []).flatMap((id) => [...be16(0x8100), ...be16(id)]);
  const frame = bytes(mac(spec.dst), mac(spec.src), tags, be16(spec.type), spec.payload ?? new Uint8Array());
  return spec.pad && frame.length < 60 ? bytes(frame, new Array<number>(60 - frame.length).fill(0)) : frame;
}

export interface ArpSpec {
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}

export function arp(spec: ArpSpec): Uint8Array {
  return bytes(
    be16(1),
    be16(0x0800),
    [6, 4],
    be16(spec.op),
    mac(spec.senderMac),
    ip(spec.senderIp),
    mac(spec.targetMac ?? '00:00:00:00:00:00'),
    ip(spec.targetIp),
  );
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
  const header = bytes(
    [0x45, 0],
    be16(20 + spec.payload.length),
    be16(spec.id ?? 0x1234),
    be16(spec.dontFragment ? 0x4000 : 0),
    [spec.ttl ?? 64, spec.protocol],
    [0, 0],
    ip(spec.src),
    ip(spec.dst),
  );
  header.set(be16(spec.checksum ?? checksum(header)), 10);
  return bytes(header, spec.payload);
}

export function icmpEcho(spec: { type?: 0 | 8; id: number; seq: number; data?: Uint8Array }): Uint8Array {
  const message = bytes([spec.type ?? 8, 0, 0, 0], be16(spec.id), be16(spec.seq), spec.data ?? new Uint8Array(8).fill(0x61));
  message.set(be16(checksum(message)), 2);
  return message;
}

export function udp(spec: { srcPort: number; dstPort: number; payload: Uint8Array }): Uint8Array {
  return bytes(be16(spec.srcPort), be16(spec.dstPort), be16(8 + spec.payload.length), be16(0), spec.payload);
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };

export function tcp(spec: {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: string[];
  window?: number;
  mss?: number;
  payload?: Uint8Array;
}): Uint8Array {
  const options = spec.mss === undefined ? [] : [2, 4, ...be16(spec.mss)];
  const headerLength = 20 + options.length;
  const flagBits = spec.flags.reduce((bits, f) => bits | (TCP_FLAG_BITS[f] ?? 0), 0);
  return bytes(
    be16(spec.srcPort),
    be16(spec.dstPort),
    be32(spec.seq),
    be32(spec.ack ?? 0),
    [(headerLength / 4) << 4, flagBits],
    be16(spec.window ?? 64240),
    be16(0),
    be16(0),
    options,
    spec.payload ?? new Uint8Array(),
  );
}

export function vxlan(spec: { vni: number; inner: Uint8Array }): Uint8Array {
  return bytes([0x08, 0, 0, 0], [(spec.vni >>> 16) & 255, (spec.vni >>> 8) & 255, spec.vni & 255, 0], spec.inner);
}

/** Uncompressed DNS name. */
export function dnsName(name: string): number[] {
  return [...name.split('.').flatMap((label) => [label.length, ...Array.from(label, (c) => c.charCodeAt(0))]), 0];
}

export function dnsQuery(id: number, name: string, type = 1): Uint8Array {
  return bytes(be16(id), be16(0x0100), be16(1), be16(0), be16(0), be16(0), dnsName(name), be16(type), be16(1));
}

/** A response whose answer names point back at the question (offset 12) with 0xc00c. */
export function dnsAResponse(id: number, name: string, addresses: string[]): Uint8Array {
  const answers = addresses.flatMap((a) => [0xc0, 0x0c, ...be16(1), ...be16(1), ...be32(30), ...be16(4), ...ip(a)]);
  return bytes(be16(id), be16(0x8180), be16(1), be16(addresses.length), be16(0), be16(0), dnsName(name), be16(1), be16(1), answers);
}

/** Common composition: Ethernet + IPv4 + payload protocol. */
export function ipFrame(spec: Omit<Ipv4Spec, 'payload'> & { srcMac: string; dstMac: string; payload: Uint8Array }): Uint8Array {
  const { srcMac, dstMac, ...ipSpec } = spec;
  return ethernet({ dst: dstMac, src: srcMac, type: 0x0800, payload: ipv4(ipSpec) });
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
