// Minimal IPv6: enough to name the addresses and find TCP/UDP/ICMPv6 behind the common
// extension headers, because Linux nodes chatter Neighbor Discovery and MLD on every segment.

import { ipProtocolName } from './ipv4.js';
import { ipv6Text, malformed, truncatedHeader, u16, u32, u8 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export interface Ipv6Layer extends LayerBase, PayloadRange {
  readonly protocol: 'ipv6';
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  /** Next Header of the fixed header. */
  readonly nextHeader: number;
  /** Upper-layer protocol after skipping hop-by-hop, routing and destination options. */
  readonly upperProtocol: number;
  readonly hopLimit: number;
  readonly source: string;
  readonly destination: string;
}

const SKIPPABLE_EXTENSIONS = new Set([0, 43, 60]);
const MAX_EXTENSIONS = 8;

export function decodeIpv6(bytes: Uint8Array, offset = 0, end = bytes.length): Ipv6Layer | MalformedLayer {
  if (end - offset < 40) return truncatedHeader('ipv6', offset, end, 40);
  const first = u32(bytes, offset);
  if (first >>> 28 !== 6) return malformed('ipv6', offset, end, `version ${first >>> 28}, expected 6`, false);
  const payloadLength = u16(bytes, offset + 4);
  const nextHeader = u8(bytes, offset + 6);
  const payloadEnd = Math.min(end, offset + 40 + payloadLength);
  let upperProtocol = nextHeader;
  let at = offset + 40;
  for (let i = 0; i < MAX_EXTENSIONS && SKIPPABLE_EXTENSIONS.has(upperProtocol); i++) {
    if (payloadEnd - at < 8) break;
    const extensionLength = (u8(bytes, at + 1) + 1) * 8;
    upperProtocol = u8(bytes, at);
    at += extensionLength;
  }
  if (at > payloadEnd) return malformed('ipv6', offset, end, 'extension header runs past the payload', true);
  const source = ipv6Text(bytes, offset + 8);
  const destination = ipv6Text(bytes, offset + 24);
  const hopLimit = u8(bytes, offset + 7);
  return {
    protocol: 'ipv6',
    offset,
    headerLength: at - offset,
    payloadOffset: at,
    payloadEnd,
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payloadLength,
    nextHeader,
    upperProtocol,
    hopLimit,
    source,
    destination,
    summary: `${source} → ${destination} ${ipProtocolName(upperProtocol)} hlim=${hopLimit}`,
    ...(offset + 40 + payloadLength > end ? { truncated: true } : {}),
  };
}
