// IPv6 fixed header (RFC 8200), and the walk past the extension headers a Linux node sends
// (hop-by-hop for MLD, routing, destination options) to the upper-layer protocol.
//
//   0 version|traffic class|flow label | 4 payload length | 6 next header | 7 hop limit
//   8 source | 24 destination | 40 extension headers…, then the upper-layer payload

import { onesComplementSum } from '../checksum.js';
import { invalid, readIpv6Address, setU16, setU32, truncatedHeader, u16, u32, u8, writeIpv6Address, type WireError } from './bytes.js';

export const IPV6_VERSION_CLASS_FLOW = 0;
export const IPV6_PAYLOAD_LENGTH = 4;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SOURCE = 8;
export const IPV6_DESTINATION = 24;
export const IPV6_HEADER_LENGTH = 40;

/** In an extension header: the next header, then its length in 8-byte units beyond the first. */
export const IPV6_EXTENSION_NEXT_HEADER = 0;
export const IPV6_EXTENSION_LENGTH = 1;
export const IPV6_HOP_BY_HOP = 0;
export const IPV6_ROUTING = 43;
export const IPV6_DESTINATION_OPTIONS = 60;
const SKIPPABLE_EXTENSIONS: ReadonlySet<number> = new Set([IPV6_HOP_BY_HOP, IPV6_ROUTING, IPV6_DESTINATION_OPTIONS]);
const MAX_EXTENSIONS = 8;

export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  /** Next Header of the fixed header. */
  readonly nextHeader: number;
  /** The upper-layer protocol after skipping hop-by-hop, routing and destination options. */
  readonly upperProtocol: number;
  /** The fixed header plus the skipped extensions: where the upper-layer payload starts. */
  readonly headerLength: number;
  readonly hopLimit: number;
  readonly source: bigint;
  readonly destination: bigint;
}

export function readIpv6(bytes: Uint8Array, at = 0, end = bytes.length): Ipv6Header | WireError {
  if (end - at < IPV6_HEADER_LENGTH) return truncatedHeader(at, end, IPV6_HEADER_LENGTH);
  const first = u32(bytes, at + IPV6_VERSION_CLASS_FLOW);
  if (first >>> 28 !== 6) return invalid(`version ${first >>> 28}, expected 6`);
  const payloadLength = u16(bytes, at + IPV6_PAYLOAD_LENGTH);
  const nextHeader = u8(bytes, at + IPV6_NEXT_HEADER);
  const payloadEnd = Math.min(end, at + IPV6_HEADER_LENGTH + payloadLength);
  let upperProtocol = nextHeader;
  let upper = at + IPV6_HEADER_LENGTH;
  for (let i = 0; i < MAX_EXTENSIONS && SKIPPABLE_EXTENSIONS.has(upperProtocol); i++) {
    if (payloadEnd - upper < 8) break;
    const extensionLength = (u8(bytes, upper + IPV6_EXTENSION_LENGTH) + 1) * 8;
    upperProtocol = u8(bytes, upper + IPV6_EXTENSION_NEXT_HEADER);
    upper += extensionLength;
  }
  if (upper > payloadEnd) return { error: 'extension header runs past the payload', truncated: true };
  return {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payloadLength,
    nextHeader,
    upperProtocol,
    headerLength: upper - at,
    hopLimit: u8(bytes, at + IPV6_HOP_LIMIT),
    source: readIpv6Address(bytes, at + IPV6_SOURCE),
    destination: readIpv6Address(bytes, at + IPV6_DESTINATION),
  };
}

/** The ones'-complement sum of the pseudo-header that ICMPv6, UDP and TCP checksums cover (RFC 8200 §8.1). */
export function ipv6PseudoHeaderSum(source: bigint, destination: bigint, nextHeader: number, length: number): number {
  const pseudo = new Uint8Array(40);
  writeIpv6Address(pseudo, 0, source);
  writeIpv6Address(pseudo, 16, destination);
  setU32(pseudo, 32, length);
  pseudo[39] = nextHeader;
  return onesComplementSum(pseudo, 0, pseudo.length);
}

export interface Ipv6Spec {
  readonly source: bigint;
  readonly destination: bigint;
  readonly nextHeader: number;
  /** Defaults to 64. */
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** The fixed header only: extension headers, if any, go at the start of `payload`. */
export function buildIpv6(spec: Ipv6Spec, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
  setU32(packet, IPV6_VERSION_CLASS_FLOW, ((6 << 28) | ((spec.trafficClass ?? 0) << 20) | ((spec.flowLabel ?? 0) & 0xfffff)) >>> 0);
  setU16(packet, IPV6_PAYLOAD_LENGTH, payload.length);
  packet[IPV6_NEXT_HEADER] = spec.nextHeader;
  packet[IPV6_HOP_LIMIT] = spec.hopLimit ?? 64;
  writeIpv6Address(packet, IPV6_SOURCE, spec.source);
  writeIpv6Address(packet, IPV6_DESTINATION, spec.destination);
  packet.set(payload, IPV6_HEADER_LENGTH);
  return packet;
}
