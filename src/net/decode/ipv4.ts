// IPv4 header. The payload range honours Total Length, so Ethernet padding is never decoded as data.
// Protocol 4 (IP-in-IP, as Calico uses) is decoded by index.ts as a further IPv4 layer.

import { formatIpv4 } from '../addr.js';
import { checksumIsValid } from '../checksum.js';
import {
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_ICMPV6,
  IP_PROTOCOL_IPIP,
  IP_PROTOCOL_IPV6,
  IP_PROTOCOL_TCP,
  IP_PROTOCOL_UDP,
  IPV4_MIN_HEADER_LENGTH,
  isWireError,
  readIpv4,
  type Ipv4Header,
} from '../wire/index.js';
import { malformedFrom } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

/** The header's fields as read (see wire/ipv4.ts), with the addresses as text and what decoding adds. */
export interface Ipv4Layer extends LayerBase, PayloadRange,
  Pick<Ipv4Header, 'dscp' | 'ecn' | 'totalLength' | 'identification' | 'dontFragment' | 'moreFragments' | 'fragmentOffset' | 'ttl' | 'checksum'> {
  readonly protocol: 'ipv4';
  /** The IP protocol number carried (1 ICMP, 4 IP-in-IP, 6 TCP, 17 UDP, ...). */
  readonly ipProtocol: number;
  readonly ipProtocolName: string;
  readonly checksumValid: boolean;
  readonly source: string;
  readonly destination: string;
  readonly optionsLength: number;
}

const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  [IP_PROTOCOL_ICMP]: 'ICMP',
  2: 'IGMP',
  [IP_PROTOCOL_IPIP]: 'IPIP',
  [IP_PROTOCOL_TCP]: 'TCP',
  [IP_PROTOCOL_UDP]: 'UDP',
  [IP_PROTOCOL_IPV6]: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  [IP_PROTOCOL_ICMPV6]: 'ICMPv6',
  132: 'SCTP',
};

export function ipProtocolName(protocol: number): string {
  return IP_PROTOCOL_NAMES[protocol] ?? `proto ${protocol}`;
}

export function decodeIpv4(bytes: Uint8Array, offset = 0, end = bytes.length): Ipv4Layer | MalformedLayer {
  const header = readIpv4(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('ipv4', offset, end, header);
  const { headerLength, totalLength, fragmentOffset, moreFragments, ttl } = header;
  const ipProtocol = header.protocol;
  const source = formatIpv4(header.source);
  const destination = formatIpv4(header.destination);
  const truncated = offset + totalLength > end;
  const fragmentText = fragmentOffset > 0 || moreFragments ? ` fragment off=${fragmentOffset}${moreFragments ? ' MF' : ''}` : '';
  return {
    protocol: 'ipv4',
    offset,
    headerLength,
    payloadOffset: offset + headerLength,
    payloadEnd: Math.min(end, offset + totalLength),
    dscp: header.dscp,
    ecn: header.ecn,
    totalLength,
    identification: header.identification,
    dontFragment: header.dontFragment,
    moreFragments,
    fragmentOffset,
    ttl,
    ipProtocol,
    ipProtocolName: ipProtocolName(ipProtocol),
    checksum: header.checksum,
    checksumValid: checksumIsValid(bytes, offset, offset + headerLength),
    source,
    destination,
    optionsLength: headerLength - IPV4_MIN_HEADER_LENGTH,
    summary: `${source} → ${destination} ${ipProtocolName(ipProtocol)} TTL=${ttl}${fragmentText}`,
    ...(truncated ? { truncated: true } : {}),
  };
}
