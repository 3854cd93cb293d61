// IPv4 header (RFC 791), options kept as they are.
//
//   0 version|IHL | 1 DSCP|ECN | 2 total length | 4 identification | 6 flags|fragment offset
//   8 TTL | 9 protocol | 10 header checksum | 12 source | 16 destination | 20 options…

import { internetChecksum, onesComplementSum } from '../checksum.js';
import { invalid, readIpv4Address, setU16, truncatedHeader, u16, u8, writeIpv4Address, type WireError } from './bytes.js';

export const IPV4_VERSION_IHL = 0;
export const IPV4_DSCP_ECN = 1;
export const IPV4_TOTAL_LENGTH = 2;
export const IPV4_IDENTIFICATION = 4;
export const IPV4_FLAGS_FRAGMENT = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTOCOL = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SOURCE = 12;
export const IPV4_DESTINATION = 16;
export const IPV4_MIN_HEADER_LENGTH = 20;

/** In the 16-bit flags|fragment-offset field. */
export const IPV4_DONT_FRAGMENT = 0x4000;
export const IPV4_MORE_FRAGMENTS = 0x2000;
/** The fragment offset, in units of 8 bytes. */
export const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;

export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_IPIP = 4;
export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;
export const IP_PROTOCOL_IPV6 = 41;
export const IP_PROTOCOL_ICMPV6 = 58;

export interface Ipv4Header {
  readonly version: number;
  /** IHL × 4. */
  readonly headerLength: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes (the header field × 8). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly source: number;
  readonly destination: number;
}

/** Checks version, IHL and Total Length ≥ IHL. A payload cut short by `end` is the caller's call. */
export function readIpv4(bytes: Uint8Array, at = 0, end = bytes.length): Ipv4Header | WireError {
  if (end - at < IPV4_MIN_HEADER_LENGTH) return truncatedHeader(at, end, IPV4_MIN_HEADER_LENGTH);
  const header = readIpv4Unchecked(bytes, at);
  if (header.version !== 4) return invalid(`version ${header.version}, expected 4`);
  if (header.headerLength < IPV4_MIN_HEADER_LENGTH) return invalid(`header length ${header.headerLength} < 20`);
  if (end - at < header.headerLength) return truncatedHeader(at, end, header.headerLength);
  if (header.totalLength < header.headerLength) return invalid(`total length ${header.totalLength} < header length ${header.headerLength}`);
  return header;
}

/**
 * The fields as they stand, without checking them: for a header quoted inside an ICMP error,
 * which is often cut short and may be the very thing that was wrong.
 */
export function readIpv4Unchecked(bytes: Uint8Array, at = 0): Ipv4Header {
  const versionIhl = u8(bytes, at + IPV4_VERSION_IHL);
  const flagsFragment = u16(bytes, at + IPV4_FLAGS_FRAGMENT);
  const dscpEcn = u8(bytes, at + IPV4_DSCP_ECN);
  return {
    version: versionIhl >>> 4,
    headerLength: (versionIhl & 0x0f) * 4,
    dscp: dscpEcn >>> 2,
    ecn: dscpEcn & 3,
    totalLength: u16(bytes, at + IPV4_TOTAL_LENGTH),
    identification: u16(bytes, at + IPV4_IDENTIFICATION),
    dontFragment: (flagsFragment & IPV4_DONT_FRAGMENT) !== 0,
    moreFragments: (flagsFragment & IPV4_MORE_FRAGMENTS) !== 0,
    fragmentOffset: (flagsFragment & IPV4_FRAGMENT_OFFSET_MASK) * 8,
    ttl: u8(bytes, at + IPV4_TTL),
    protocol: u8(bytes, at + IPV4_PROTOCOL),
    checksum: u16(bytes, at + IPV4_CHECKSUM),
    source: readIpv4Address(bytes, at + IPV4_SOURCE),
    destination: readIpv4Address(bytes, at + IPV4_DESTINATION),
  };
}

/** Recomputes the header checksum in place, after a field (TTL, an address) changed. */
export function fillIpv4Checksum(bytes: Uint8Array, at: number, headerLength: number): void {
  setU16(bytes, at + IPV4_CHECKSUM, 0);
  setU16(bytes, at + IPV4_CHECKSUM, internetChecksum(bytes, at, at + headerLength));
}

/** The ones'-complement sum of the pseudo-header UDP and TCP checksums cover. */
export function ipv4PseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number {
  const pseudo = new Uint8Array(12);
  writeIpv4Address(pseudo, 0, source);
  writeIpv4Address(pseudo, 4, destination);
  pseudo[9] = protocol;
  setU16(pseudo, 10, length);
  return onesComplementSum(pseudo, 0, pseudo.length);
}

export interface Ipv4Spec {
  readonly source: number;
  readonly destination: number;
  readonly protocol: number;
  /** Defaults to 64, Linux's default. */
  readonly ttl?: number;
  readonly identification?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In bytes; must be a multiple of 8. */
  readonly fragmentOffset?: number;
  readonly dscp?: number;
  readonly ecn?: number;
  /** Whole 4-byte words of options. */
  readonly options?: Uint8Array;
  /** Replaces the computed checksum (to build a corrupt packet, or to copy a captured one). */
  readonly checksum?: number;
}

export const ipv4HeaderLength = (spec: Ipv4Spec): number => IPV4_MIN_HEADER_LENGTH + (spec.options?.length ?? 0);

/** Writes the header for a payload of `payloadLength` bytes; returns the payload offset. */
export function writeIpv4(bytes: Uint8Array, at: number, spec: Ipv4Spec, payloadLength: number): number {
  const headerLength = ipv4HeaderLength(spec);
  bytes[at + IPV4_VERSION_IHL] = 0x40 | (headerLength / 4);
  bytes[at + IPV4_DSCP_ECN] = ((spec.dscp ?? 0) << 2) | (spec.ecn ?? 0);
  setU16(bytes, at + IPV4_TOTAL_LENGTH, headerLength + payloadLength);
  setU16(bytes, at + IPV4_IDENTIFICATION, spec.identification ?? 0);
  const flags = (spec.dontFragment ? IPV4_DONT_FRAGMENT : 0) | (spec.moreFragments ? IPV4_MORE_FRAGMENTS : 0);
  setU16(bytes, at + IPV4_FLAGS_FRAGMENT, flags | (((spec.fragmentOffset ?? 0) / 8) & IPV4_FRAGMENT_OFFSET_MASK));
  bytes[at + IPV4_TTL] = spec.ttl ?? 64;
  bytes[at + IPV4_PROTOCOL] = spec.protocol;
  writeIpv4Address(bytes, at + IPV4_SOURCE, spec.source);
  writeIpv4Address(bytes, at + IPV4_DESTINATION, spec.destination);
  if (spec.options !== undefined) bytes.set(spec.options, at + IPV4_MIN_HEADER_LENGTH);
  if (spec.checksum === undefined) fillIpv4Checksum(bytes, at, headerLength);
  else setU16(bytes, at + IPV4_CHECKSUM, spec.checksum);
  return at + headerLength;
}

export function buildIpv4(spec: Ipv4Spec, payload: Uint8Array): Uint8Array {
  const headerLength = ipv4HeaderLength(spec);
  const packet = new Uint8Array(headerLength + payload.length);
  writeIpv4(packet, 0, spec, payload.length);
  packet.set(payload, headerLength);
  return packet;
}
