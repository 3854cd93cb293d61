// ICMPv6 by type name, plus the target of Neighbor Discovery (the IPv6 analogue of ARP).

import { formatIpv6 } from '../addr.js';
import { ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_HEADER_LENGTH, isWireError, readIcmpv6 } from '../wire/index.js';
import { hex, malformedFrom } from './read.js';
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
  const header = readIcmpv6(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('icmpv6', offset, end, header);
  const { type, identifier, sequence } = header;
  const typeName = TYPE_NAMES[type] ?? `Type ${type}`;
  const isEcho = type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;
  const targetAddress = header.targetAddress === undefined ? undefined : formatIpv6(header.targetAddress);
  let summary = typeName;
  if (isEcho) summary += ` id=${hex(identifier, 4)}, seq=${sequence}`;
  if (targetAddress !== undefined) summary += ` for ${targetAddress}`;
  return {
    protocol: 'icmpv6',
    offset,
    headerLength: ICMPV6_HEADER_LENGTH,
    type,
    code: header.code,
    typeName,
    checksum: header.checksum,
    ...(isEcho ? { identifier, sequence } : {}),
    ...(targetAddress === undefined ? {} : { targetAddress }),
    summary,
  };
}
