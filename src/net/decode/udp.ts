// UDP header; the payload range honours the UDP length field.

import { malformed, truncatedHeader, u16 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export interface UdpLayer extends LayerBase, PayloadRange {
  readonly protocol: 'udp';
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Header plus payload, as declared. */
  readonly length: number;
  readonly checksum: number;
}

export function decodeUdp(bytes: Uint8Array, offset = 0, end = bytes.length): UdpLayer | MalformedLayer {
  if (end - offset < 8) return truncatedHeader('udp', offset, end, 8);
  const length = u16(bytes, offset + 4);
  if (length < 8) return malformed('udp', offset, end, `length ${length} < 8`, false);
  const sourcePort = u16(bytes, offset);
  const destinationPort = u16(bytes, offset + 2);
  const truncated = offset + length > end;
  return {
    protocol: 'udp',
    offset,
    headerLength: 8,
    payloadOffset: offset + 8,
    payloadEnd: Math.min(end, offset + length),
    sourcePort,
    destinationPort,
    length,
    checksum: u16(bytes, offset + 6),
    summary: `${sourcePort} → ${destinationPort} Len=${length - 8}`,
    ...(truncated ? { truncated: true } : {}),
  };
}
