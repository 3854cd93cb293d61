// ICMPv6 (RFC 4443) and the target of Neighbor Discovery (RFC 4861), the IPv6 analogue of ARP.
//
//   0 type | 1 code | 2 checksum | 4 identifier (echo) | 6 sequence (echo) | 8 ND target (16 bytes)

import { readIpv6Address, truncatedHeader, u16, u8, type WireError } from './bytes.js';

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
