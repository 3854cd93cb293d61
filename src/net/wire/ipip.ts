// IP-in-IP (RFC 2003), as Calico uses between nodes: an outer IPv4 header with protocol 4, and
// the pod's whole IPv4 packet as its payload. There is no header of its own; this module names
// the pairing so the router, decoders and tests all build and read it the same way.

import { isWireError, type WireError } from './bytes.js';
import { buildIpv4, IP_PROTOCOL_IPIP, readIpv4, type Ipv4Header, type Ipv4Spec } from './ipv4.js';

export interface IpipPacket {
  readonly outer: Ipv4Header;
  readonly inner: Ipv4Header;
  /** Where the inner packet starts. */
  readonly innerOffset: number;
}

export function readIpip(bytes: Uint8Array, at = 0, end = bytes.length): IpipPacket | WireError {
  const outer = readIpv4(bytes, at, end);
  if (isWireError(outer)) return outer;
  if (outer.protocol !== IP_PROTOCOL_IPIP) return { error: `protocol ${outer.protocol}, expected 4 (IP-in-IP)`, truncated: false };
  const innerOffset = at + outer.headerLength;
  const inner = readIpv4(bytes, innerOffset, Math.min(end, at + outer.totalLength));
  return isWireError(inner) ? inner : { outer, inner, innerOffset };
}

export function buildIpip(outer: Omit<Ipv4Spec, 'protocol'>, innerPacket: Uint8Array): Uint8Array {
  return buildIpv4({ ...outer, protocol: IP_PROTOCOL_IPIP }, innerPacket);
}
