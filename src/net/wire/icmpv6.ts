// ICMPv6 (RFC 4443) and the target of Neighbor Discovery (RFC 4861), the IPv6 analogue of ARP.
//
//   0 type | 1 code | 2 checksum | 4 identifier (echo) | 6 sequence (echo) | 8 ND target (16 bytes)

import { internetChecksum } from '../checksum.js';
import { readIpv6Address, setU16, truncatedHeader, u16, u8, writeIpv6Address, type WireError } from './bytes.js';
import { IP_PROTOCOL_ICMPV6 } from './ipv4.js';
import { ipv6PseudoHeaderSum } from './ipv6.js';

export const ICMPV6_TYPE = 0;
export const ICMPV6_CODE = 1;
export const ICMPV6_CHECKSUM = 2;
export const ICMPV6_IDENTIFIER = 4;
export const ICMPV6_SEQUENCE = 6;
export const ICMPV6_HEADER_LENGTH = 8;
export const ICMPV6_ND_TARGET = 8;
export const ICMPV6_ND_LENGTH = 24;

export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;

export interface Icmpv6Header {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly identifier: number;
  readonly sequence: number;
  /** Neighbor Solicitation / Advertisement only. */
  readonly targetAddress?: bigint;
}

export function readIcmpv6(bytes: Uint8Array, at = 0, end = bytes.length): Icmpv6Header | WireError {
  if (end - at < ICMPV6_HEADER_LENGTH) return truncatedHeader(at, end, ICMPV6_HEADER_LENGTH);
  const type = u8(bytes, at + ICMPV6_TYPE);
  const isNeighborDiscovery = type === ICMPV6_NEIGHBOR_SOLICITATION || type === ICMPV6_NEIGHBOR_ADVERTISEMENT;
  return {
    type,
    code: u8(bytes, at + ICMPV6_CODE),
    checksum: u16(bytes, at + ICMPV6_CHECKSUM),
    identifier: u16(bytes, at + ICMPV6_IDENTIFIER),
    sequence: u16(bytes, at + ICMPV6_SEQUENCE),
    ...(isNeighborDiscovery && end - at >= ICMPV6_ND_LENGTH ? { targetAddress: readIpv6Address(bytes, at + ICMPV6_ND_TARGET) } : {}),
  };
}

/** The checksum over the IPv6 pseudo-header and the message at..end. */
export function icmpv6Checksum(bytes: Uint8Array, at: number, end: number, source: bigint, destination: bigint): number {
  return internetChecksum(bytes, at, end, ipv6PseudoHeaderSum(source, destination, IP_PROTOCOL_ICMPV6, end - at));
}

export interface Icmpv6Spec {
  readonly type: number;
  readonly code?: number;
  readonly identifier?: number;
  readonly sequence?: number;
  /** Neighbor Solicitation / Advertisement: written at byte 8, after the 4 flag/reserved bytes. */
  readonly targetAddress?: bigint;
  /** The checksum needs the IPv6 addresses; given them, it is computed. Else 0, or this value. */
  readonly addresses?: { readonly source: bigint; readonly destination: bigint };
  readonly checksum?: number;
}

/** `body` follows the 8-byte header (or the ND target, when there is one). */
export function buildIcmpv6(spec: Icmpv6Spec, body: Uint8Array): Uint8Array {
  const headerLength = spec.targetAddress === undefined ? ICMPV6_HEADER_LENGTH : ICMPV6_ND_LENGTH;
  const message = new Uint8Array(headerLength + body.length);
  message[ICMPV6_TYPE] = spec.type;
  message[ICMPV6_CODE] = spec.code ?? 0;
  setU16(message, ICMPV6_IDENTIFIER, spec.identifier ?? 0);
  setU16(message, ICMPV6_SEQUENCE, spec.sequence ?? 0);
  if (spec.targetAddress !== undefined) writeIpv6Address(message, ICMPV6_ND_TARGET, spec.targetAddress);
  message.set(body, headerLength);
  const { addresses } = spec;
  const checksum = spec.checksum ?? (addresses ? icmpv6Checksum(message, 0, message.length, addresses.source, addresses.destination) : 0);
  setU16(message, ICMPV6_CHECKSUM, checksum);
  return message;
}
