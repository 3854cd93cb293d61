// Ethernet II with any number (bounded) of 802.1Q / 802.1ad VLAN tags.

import { formatMac } from '../addr.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_LLDP,
  ETHERTYPE_MIN,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  isMulticastMac,
  isWireError,
  readEthernet,
  type VlanTag,
} from '../wire/index.js';
import { hex, malformedFrom } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export type { VlanTag };

export interface EthernetLayer extends LayerBase, PayloadRange {
  readonly protocol: 'ethernet';
  readonly destination: string;
  readonly source: string;
  readonly vlanTags: readonly VlanTag[];
  /** EtherType after the tags; values below 0x0600 are an 802.3 length instead. */
  readonly etherType: number;
  readonly etherTypeName: string;
  readonly isBroadcast: boolean;
  readonly isMulticast: boolean;
}

const ETHER_TYPE_NAMES: Readonly<Record<number, string>> = {
  [ETHERTYPE_IPV4]: 'IPv4',
  [ETHERTYPE_ARP]: 'ARP',
  [ETHERTYPE_IPV6]: 'IPv6',
  [ETHERTYPE_VLAN]: '802.1Q',
  [ETHERTYPE_QINQ]: '802.1ad',
  [ETHERTYPE_LLDP]: 'LLDP',
};

export function etherTypeName(etherType: number): string {
  if (etherType < ETHERTYPE_MIN) return '802.3 length';
  return ETHER_TYPE_NAMES[etherType] ?? hex(etherType, 4);
}

export function decodeEthernet(bytes: Uint8Array, offset = 0, end = bytes.length): EthernetLayer | MalformedLayer {
  const header = readEthernet(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('ethernet', offset, end, header);
  const { vlanTags, etherType, headerLength } = header;
  const destination = formatMac(header.destination);
  const source = formatMac(header.source);
  const isMulticast = isMulticastMac(bytes, offset);
  const isBroadcast = destination === 'ff:ff:ff:ff:ff:ff';
  const vlanText = vlanTags.map((t) => `VLAN ${t.id}`).join(', ');
  return {
    protocol: 'ethernet',
    offset,
    headerLength,
    payloadOffset: offset + headerLength,
    payloadEnd: end,
    destination,
    source,
    vlanTags,
    etherType,
    etherTypeName: etherTypeName(etherType),
    isBroadcast,
    isMulticast,
    summary: `${source} → ${isBroadcast ? 'Broadcast' : destination}${vlanText ? `, ${vlanText}` : ''}, ${etherTypeName(etherType)}`,
  };
}
