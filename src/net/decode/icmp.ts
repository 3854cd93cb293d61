// ICMP for IPv4. Errors quote the offending header; we surface its addresses and ports as a
// field instead of another IPv4 layer, so "innermost IPv4" keeps meaning the tunnelled packet.

import { formatIpv4 } from '../addr.js';
import { checksumIsValid } from '../checksum.js';
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ERROR_TYPES,
  ICMP_HEADER_LENGTH,
  ICMP_QUOTED,
  ICMP_TIME_EXCEEDED,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  isEcho as isEchoType,
  isFragmentationNeeded,
  isWireError,
  IPV4_MIN_HEADER_LENGTH,
  readIcmp,
  readIpv4Unchecked,
  UDP_DESTINATION_PORT,
  UDP_SOURCE_PORT,
  u16,
} from '../wire/index.js';
import { ipProtocolName } from './ipv4.js';
import { hex, malformedFrom } from './read.js';
import type { LayerBase, MalformedLayer } from './types.js';

export interface IcmpQuotedPacket {
  readonly source: string;
  readonly destination: string;
  readonly ipProtocol: number;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
}

export interface IcmpLayer extends LayerBase {
  readonly protocol: 'icmp';
  readonly type: number;
  readonly code: number;
  readonly typeName: string;
  readonly codeName?: string;
  readonly checksum: number;
  /** Undefined when the message is truncated and cannot be checked. */
  readonly checksumValid: boolean | undefined;
  readonly identifier?: number;
  readonly sequence?: number;
  /** Destination unreachable / fragmentation needed: the MTU to use. */
  readonly nextHopMtu?: number;
  readonly quoted?: IcmpQuotedPacket;
  readonly dataLength: number;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench',
  5: 'Redirect',
  8: 'Echo (ping) request',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
  13: 'Timestamp request',
  14: 'Timestamp reply',
};

const UNREACHABLE_CODES: readonly string[] = [
  'Network unreachable',
  'Host unreachable',
  'Protocol unreachable',
  'Port unreachable',
  'Fragmentation needed',
  'Source route failed',
  'Destination network unknown',
  'Destination host unknown',
  'Source host isolated',
  'Network administratively prohibited',
  'Host administratively prohibited',
  'Network unreachable for TOS',
  'Host unreachable for TOS',
  'Communication administratively filtered',
];

function codeName(type: number, code: number): string | undefined {
  if (type === ICMP_DEST_UNREACHABLE) return UNREACHABLE_CODES[code];
  if (type === ICMP_TIME_EXCEEDED) return code === 0 ? 'Time to live exceeded in transit' : code === 1 ? 'Fragment reassembly time exceeded' : undefined;
  return undefined;
}

/** The quoted header is read as it stands: errors quote a cut-short packet, and it may be what was wrong. */
function decodeQuoted(bytes: Uint8Array, at: number, end: number): IcmpQuotedPacket | undefined {
  if (end - at < IPV4_MIN_HEADER_LENGTH) return undefined;
  const header = readIpv4Unchecked(bytes, at);
  if (header.version !== 4) return undefined;
  const ipProtocol = header.protocol;
  const quoted = { source: formatIpv4(header.source), destination: formatIpv4(header.destination), ipProtocol };
  const transport = at + header.headerLength;
  // The ports sit at the same offsets in TCP and UDP.
  if ((ipProtocol === IP_PROTOCOL_TCP || ipProtocol === IP_PROTOCOL_UDP) && end - transport >= 4) {
    return { ...quoted, sourcePort: u16(bytes, transport + UDP_SOURCE_PORT), destinationPort: u16(bytes, transport + UDP_DESTINATION_PORT) };
  }
  return quoted;
}

/** `end` should be the IPv4 payload end, so padding does not enter the checksum. */
export function decodeIcmp(bytes: Uint8Array, offset = 0, end = bytes.length, truncated = false): IcmpLayer | MalformedLayer {
  const header = readIcmp(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('icmp', offset, end, header);
  const { type, code, identifier, sequence } = header;
  const typeName = TYPE_NAMES[type] ?? `Type ${type}`;
  const name = codeName(type, code);
  const isEcho = isEchoType(type);
  const quoted = ICMP_ERROR_TYPES.has(type) ? decodeQuoted(bytes, offset + ICMP_QUOTED, end) : undefined;
  const nextHopMtu = isFragmentationNeeded(type, code) ? header.nextHopMtu : undefined;

  let summary = name ? `${typeName} (${name})` : typeName;
  if (isEcho) summary += ` id=${hex(identifier, 4)}, seq=${sequence}`;
  if (nextHopMtu !== undefined) summary += ` MTU ${nextHopMtu}`;
  if (quoted) {
    const ports = quoted.sourcePort !== undefined ? ` ${quoted.sourcePort} → ${quoted.destinationPort}` : '';
    summary += ` for ${quoted.source} → ${quoted.destination} ${ipProtocolName(quoted.ipProtocol)}${ports}`;
  }
  return {
    protocol: 'icmp',
    offset,
    headerLength: ICMP_HEADER_LENGTH,
    type,
    code,
    typeName,
    ...(name === undefined ? {} : { codeName: name }),
    checksum: header.checksum,
    checksumValid: truncated ? undefined : checksumIsValid(bytes, offset, end),
    ...(isEcho ? { identifier, sequence } : {}),
    ...(nextHopMtu === undefined ? {} : { nextHopMtu }),
    ...(quoted === undefined ? {} : { quoted }),
    dataLength: end - offset - ICMP_HEADER_LENGTH,
    summary,
    ...(truncated ? { truncated: true } : {}),
  };
}
