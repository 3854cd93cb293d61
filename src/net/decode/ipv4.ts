// IPv4 header. The payload range honours Total Length, so Ethernet padding is never decoded as data.
// Protocol 4 (IP-in-IP, as Calico uses) is decoded by index.ts as a further IPv4 layer.

import { checksumIsValid } from '../checksum.js';
import { ipv4Text, malformed, truncatedHeader, u16, u8 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export interface Ipv4Layer extends LayerBase, PayloadRange {
  readonly protocol: 'ipv4';
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes (the header field × 8). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  /** The IP protocol number carried (1 ICMP, 4 IP-in-IP, 6 TCP, 17 UDP, ...). */
  readonly ipProtocol: number;
  readonly ipProtocolName: string;
  readonly checksum: number;
  readonly checksumValid: boolean;
  readonly source: string;
  readonly destination: string;
  readonly optionsLength: number;
}

const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  58: 'ICMPv6',
  132: 'SCTP',
};

export function ipProtocolName(protocol: number): string {
  return IP_PROTOCOL_NAMES[protocol] ?? `proto ${protocol}`;
}

export function decodeIpv4(bytes: Uint8Array, offset = 0, end = bytes.length): Ipv4Layer | MalformedLayer {
  if (end - offset < 20) return truncatedHeader('ipv4', offset, end, 20);
  const versionAndLength = u8(bytes, offset);
  const version = versionAndLength >>> 4;
  if (version !== 4) return malformed('ipv4', offset, end, `version ${version}, expected 4`, false);
  const headerLength = (versionAndLength & 0x0f) * 4;
  if (headerLength < 20) return malformed('ipv4', offset, end, `header length ${headerLength} < 20`, false);
  if (end - offset < headerLength) return truncatedHeader('ipv4', offset, end, headerLength);
  const totalLength = u16(bytes, offset + 2);
  if (totalLength < headerLength) {
    return malformed('ipv4', offset, end, `total length ${totalLength} < header length ${headerLength}`, false);
  }
  const flagsAndOffset = u16(bytes, offset + 6);
  const ipProtocol = u8(bytes, offset + 9);
  const source = ipv4Text(bytes, offset + 12);
  const destination = ipv4Text(bytes, offset + 16);
  const ttl = u8(bytes, offset + 8);
  const fragmentOffset = (flagsAndOffset & 0x1fff) * 8;
  const moreFragments = (flagsAndOffset & 0x2000) !== 0;
  const truncated = offset + totalLength > end;
  const fragmentText = fragmentOffset > 0 || moreFragments ? ` fragment off=${fragmentOffset}${moreFragments ? ' MF' : ''}` : '';
  return {
    protocol: 'ipv4',
    offset,
    headerLength,
    payloadOffset: offset + headerLength,
    payloadEnd: Math.min(end, offset + totalLength),
    dscp: u8(bytes, offset + 1) >>> 2,
    ecn: u8(bytes, offset + 1) & 3,
    totalLength,
    identification: u16(bytes, offset + 4),
    dontFragment: (flagsAndOffset & 0x4000) !== 0,
    moreFragments,
    fragmentOffset,
    ttl,
    ipProtocol,
    ipProtocolName: ipProtocolName(ipProtocol),
    checksum: u16(bytes, offset + 10),
    checksumValid: checksumIsValid(bytes, offset, offset + headerLength),
    source,
    destination,
    optionsLength: headerLength - 20,
    summary: `${source} → ${destination} ${ipProtocolName(ipProtocol)} TTL=${ttl}${fragmentText}`,
    ...(truncated ? { truncated: true } : {}),
  };
}
