// Minimal IPv6: enough to name the addresses and find TCP/UDP/ICMPv6 behind the common
// extension headers, because Linux nodes chatter Neighbor Discovery and MLD on every segment.

import { formatIpv6 } from '../addr.js';
import { IPV6_HEADER_LENGTH, isWireError, readIpv6 } from '../wire/index.js';
import { ipProtocolName } from './ipv4.js';
import { malformedFrom } from './read.js';
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

export function decodeIpv6(bytes: Uint8Array, offset = 0, end = bytes.length): Ipv6Layer | MalformedLayer {
  const header = readIpv6(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('ipv6', offset, end, header);
  const { payloadLength, nextHeader, upperProtocol, hopLimit, headerLength } = header;
  const source = formatIpv6(header.source);
  const destination = formatIpv6(header.destination);
  return {
    protocol: 'ipv6',
    offset,
    headerLength,
    payloadOffset: offset + headerLength,
    payloadEnd: Math.min(end, offset + IPV6_HEADER_LENGTH + payloadLength),
    trafficClass: header.trafficClass,
    flowLabel: header.flowLabel,
    payloadLength,
    nextHeader,
    upperProtocol,
    hopLimit,
    source,
    destination,
    summary: `${source} → ${destination} ${ipProtocolName(upperProtocol)} hlim=${hopLimit}`,
    ...(offset + IPV6_HEADER_LENGTH + payloadLength > end ? { truncated: true } : {}),
  };
}
