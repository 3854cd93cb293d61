// Ethernet II with any number (bounded) of 802.1Q / 802.1ad VLAN tags.

import { formatMac } from '../addr.js';
import { hex, truncatedHeader, u16, u8 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export interface VlanTag {
  /** 0x8100 for 802.1Q, 0x88a8 for the 802.1ad outer (QinQ) tag. */
  readonly tpid: number;
  readonly priority: number;
  readonly dropEligible: boolean;
  readonly id: number;
}

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
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8100: '802.1Q',
  0x88a8: '802.1ad',
  0x88cc: 'LLDP',
};

const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100]);
const MAX_VLAN_TAGS = 4;

export function etherTypeName(etherType: number): string {
  if (etherType < 0x0600) return '802.3 length';
  return ETHER_TYPE_NAMES[etherType] ?? hex(etherType, 4);
}

export function decodeEthernet(bytes: Uint8Array, offset = 0, end = bytes.length): EthernetLayer | MalformedLayer {
  if (end - offset < 14) return truncatedHeader('ethernet', offset, end, 14);
  let at = offset + 12;
  const vlanTags: VlanTag[] = [];
  while (VLAN_TPIDS.has(u16(bytes, at)) && vlanTags.length < MAX_VLAN_TAGS) {
    if (end - at < 6) return truncatedHeader('ethernet', offset, end, at + 6 - offset);
    const tci = u16(bytes, at + 2);
    vlanTags.push({ tpid: u16(bytes, at), priority: tci >>> 13, dropEligible: (tci & 0x1000) !== 0, id: tci & 0x0fff });
    at += 4;
  }
  const etherType = u16(bytes, at);
  const destination = formatMac(bytes, offset);
  const source = formatMac(bytes, offset + 6);
  const isMulticast = (u8(bytes, offset) & 1) !== 0;
  const isBroadcast = destination === 'ff:ff:ff:ff:ff:ff';
  const vlanText = vlanTags.map((t) => `VLAN ${t.id}`).join(', ');
  return {
    protocol: 'ethernet',
    offset,
    headerLength: at + 2 - offset,
    payloadOffset: at + 2,
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
