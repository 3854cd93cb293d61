// ICMP for IPv4. Errors quote the offending header; we surface its addresses and ports as a
// field instead of another IPv4 layer, so "innermost IPv4" keeps meaning the tunnelled packet.

import { checksumIsValid } from '../checksum.js';
import { ipProtocolName } from './ipv4.js';
import { hex, ipv4Text, truncatedHeader, u16, u8 } from './read.js';
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
  if (type === 3) return UNREACHABLE_CODES[code];
  if (type === 11) return code === 0 ? 'Time to live exceeded in transit' : code === 1 ? 'Fragment reassembly time exceeded' : undefined;
  return undefined;
}

const ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

function decodeQuoted(bytes: Uint8Array, at: number, end: number): IcmpQuotedPacket | undefined {
  if (end - at < 20 || u8(bytes, at) >>> 4 !== 4) return undefined;
  const headerLength = (u8(bytes, at) & 0x0f) * 4;
  const ipProtocol = u8(bytes, at + 9);
  const quoted = { source: ipv4Text(bytes, at + 12), destination: ipv4Text(bytes, at + 16), ipProtocol };
  const transport = at + headerLength;
  if ((ipProtocol === 6 || ipProtocol === 17) && end - transport >= 4) {
    return { ...quoted, sourcePort: u16(bytes, transport), destinationPort: u16(bytes, transport + 2) };
  }
  return quoted;
}

/** `end` should be the IPv4 payload end, so padding does not enter the checksum. */
export function decodeIcmp(bytes: Uint8Array, offset = 0, end = bytes.length, truncated = false): IcmpLayer | MalformedLayer {
  if (end - offset < 8) return truncatedHeader('icmp', offset, end, 8);
  const type = u8(bytes, offset);
  const code = u8(bytes, offset + 1);
  const typeName = TYPE_NAMES[type] ?? `Type ${type}`;
  const name = codeName(type, code);
  const isEcho = type === 0 || type === 8;
  const identifier = u16(bytes, offset + 4);
  const sequence = u16(bytes, offset + 6);
  const quoted = ERROR_TYPES.has(type) ? decodeQuoted(bytes, offset + 8, end) : undefined;
  const nextHopMtu = type === 3 && code === 4 ? u16(bytes, offset + 6) : undefined;

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
    headerLength: 8,
    type,
    code,
    typeName,
    ...(name === undefined ? {} : { codeName: name }),
    checksum: u16(bytes, offset + 2),
    checksumValid: truncated ? undefined : checksumIsValid(bytes, offset, end),
    ...(isEcho ? { identifier, sequence } : {}),
    ...(nextHopMtu === undefined ? {} : { nextHopMtu }),
    ...(quoted === undefined ? {} : { quoted }),
    dataLength: end - offset - 8,
    summary,
    ...(truncated ? { truncated: true } : {}),
  };
}
