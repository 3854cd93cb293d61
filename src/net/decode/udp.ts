// UDP header; the payload range honours the UDP length field.

import { isWireError, readUdp, UDP_HEADER_LENGTH } from '../wire/index.js';
import { malformedFrom } from './read.js';
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
  const header = readUdp(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('udp', offset, end, header);
  const { sourcePort, destinationPort, length } = header;
  const truncated = offset + length > end;
  return {
    protocol: 'udp',
    offset,
    headerLength: UDP_HEADER_LENGTH,
    payloadOffset: offset + UDP_HEADER_LENGTH,
    payloadEnd: Math.min(end, offset + length),
    sourcePort,
    destinationPort,
    length,
    checksum: header.checksum,
    summary: `${sourcePort} → ${destinationPort} Len=${length - UDP_HEADER_LENGTH}`,
    ...(truncated ? { truncated: true } : {}),
  };
}
