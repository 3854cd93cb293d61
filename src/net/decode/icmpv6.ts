// ICMPv6 by type name, plus the target of Neighbor Discovery (the IPv6 analogue of ARP).

import { hex, ipv6Text, truncatedHeader, u16, u8 } from './read.js';
import type { LayerBase, MalformedLayer } from './types.js';

export interface Icmpv6Layer extends LayerBase {
  readonly protocol: 'icmpv6';
  readonly type: number;
  readonly code: number;
  readonly typeName: string;
  readonly checksum: number;
  readonly identifier?: number;
  readonly sequence?: number;
  /** Neighbor Solicitation / Advertisement target. */
  readonly targetAddress?: string;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  130: 'Multicast Listener Query',
  131: 'Multicast Listener Report',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  137: 'Redirect',
  143: 'Multicast Listener Report Message v2',
};

export function decodeIcmpv6(bytes: Uint8Array, offset = 0, end = bytes.length): Icmpv6Layer | MalformedLayer {
  if (end - offset < 8) return truncatedHeader('icmpv6', offset, end, 8);
  const type = u8(bytes, offset);
  const typeName = TYPE_NAMES[type] ?? `Type ${type}`;
  const isEcho = type === 128 || type === 129;
  const hasTarget = (type === 135 || type === 136) && end - offset >= 24;
  const targetAddress = hasTarget ? ipv6Text(bytes, offset + 8) : undefined;
  const identifier = u16(bytes, offset + 4);
  const sequence = u16(bytes, offset + 6);
  let summary = typeName;
  if (isEcho) summary += ` id=${hex(identifier, 4)}, seq=${sequence}`;
  if (targetAddress !== undefined) summary += ` for ${targetAddress}`;
  return {
    protocol: 'icmpv6',
    offset,
    headerLength: 8,
    type,
    code: u8(bytes, offset + 1),
    typeName,
    checksum: u16(bytes, offset + 2),
    ...(isEcho ? { identifier, sequence } : {}),
    ...(targetAddress === undefined ? {} : { targetAddress }),
    summary,
  };
}
