// Ethernet II, with any number (bounded) of 802.1Q / 802.1ad VLAN tags between the source MAC
// and the EtherType.
//
//   0        6        12                  12+4n      14+4n
//   | dst    | src    | [TPID TCI] × n    | EtherType | payload

import { MAC_LENGTH, readMac, setU16, truncatedHeader, u16, u8, type WireError } from './bytes.js';

export const ETH_DESTINATION = 0;
export const ETH_SOURCE = 6;
/** The EtherType of an untagged frame; with tags, the first tag's TPID sits here instead. */
export const ETH_ETHERTYPE = 12;
export const ETH_HEADER_LENGTH = 14;
/** The 802.3 minimum without the FCS: what a NIC pads short frames to. */
export const ETH_MIN_FRAME_LENGTH = 60;

/** Within a VLAN tag: the TPID (where an EtherType would be), then the TCI. */
export const VLAN_TPID = 0;
export const VLAN_TCI = 2;
export const VLAN_TAG_LENGTH = 4;
export const VLAN_PRIORITY_SHIFT = 13;
export const VLAN_DEI = 0x1000;
export const VLAN_ID_MASK = 0x0fff;
export const MAX_VLAN_TAGS = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_LLDP = 0x88cc;
/** EtherType values below this are an 802.3 length instead. */
export const ETHERTYPE_MIN = 0x0600;

const VLAN_TPIDS: ReadonlySet<number> = new Set([ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD]);

export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export interface VlanTag {
  /** 0x8100 for 802.1Q, 0x88a8 for the 802.1ad outer (QinQ) tag. */
  readonly tpid: number;
  readonly priority: number;
  readonly dropEligible: boolean;
  readonly id: number;
}

export interface EthernetHeader {
  /** Views into the frame, not copies. */
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly vlanTags: readonly VlanTag[];
  readonly etherType: number;
  /** 14 plus 4 per tag: where the payload starts. */
  readonly headerLength: number;
}

export function readEthernet(bytes: Uint8Array, at = 0, end = bytes.length): EthernetHeader | WireError {
  if (end - at < ETH_HEADER_LENGTH) return truncatedHeader(at, end, ETH_HEADER_LENGTH);
  let type = at + ETH_ETHERTYPE;
  const vlanTags: VlanTag[] = [];
  while (VLAN_TPIDS.has(u16(bytes, type + VLAN_TPID)) && vlanTags.length < MAX_VLAN_TAGS) {
    if (end - type < VLAN_TAG_LENGTH + 2) return truncatedHeader(at, end, type + VLAN_TAG_LENGTH + 2 - at);
    const tci = u16(bytes, type + VLAN_TCI);
    vlanTags.push({ tpid: u16(bytes, type + VLAN_TPID), priority: tci >>> VLAN_PRIORITY_SHIFT, dropEligible: (tci & VLAN_DEI) !== 0, id: tci & VLAN_ID_MASK });
    type += VLAN_TAG_LENGTH;
  }
  return {
    destination: readMac(bytes, at + ETH_DESTINATION),
    source: readMac(bytes, at + ETH_SOURCE),
    vlanTags,
    etherType: u16(bytes, type),
    headerLength: type + 2 - at,
  };
}

/** The EtherType field of an untagged frame (a tagged one shows its TPID here). */
export const etherTypeOf = (frame: Uint8Array, at = 0): number => u16(frame, at + ETH_ETHERTYPE);
export const isMulticastMac = (bytes: Uint8Array, at: number): boolean => (u8(bytes, at) & 1) !== 0;

export function macEquals(bytes: Uint8Array, at: number, mac: Uint8Array): boolean {
  for (let i = 0; i < MAC_LENGTH; i++) if (bytes[at + i] !== mac[i]) return false;
  return true;
}

export interface EthernetSpec {
  readonly destination: Uint8Array;
  readonly source: Uint8Array;
  readonly etherType: number;
  /** Outermost first. The TPID defaults to 802.1Q. */
  readonly vlanTags?: readonly (Partial<VlanTag> & { readonly id: number })[];
}

export const ethernetHeaderLength = (spec: EthernetSpec): number => ETH_HEADER_LENGTH + VLAN_TAG_LENGTH * (spec.vlanTags?.length ?? 0);

/** Writes the header at `at` (the router rewrites MACs in place this way); returns the payload offset. */
export function writeEthernet(bytes: Uint8Array, at: number, spec: EthernetSpec): number {
  bytes.set(spec.destination.subarray(0, MAC_LENGTH), at + ETH_DESTINATION);
  bytes.set(spec.source.subarray(0, MAC_LENGTH), at + ETH_SOURCE);
  let type = at + ETH_ETHERTYPE;
  for (const tag of spec.vlanTags ?? []) {
    setU16(bytes, type + VLAN_TPID, tag.tpid ?? ETHERTYPE_VLAN);
    const tci = ((tag.priority ?? 0) << VLAN_PRIORITY_SHIFT) | (tag.dropEligible ? VLAN_DEI : 0) | (tag.id & VLAN_ID_MASK);
    setU16(bytes, type + VLAN_TCI, tci);
    type += VLAN_TAG_LENGTH;
  }
  setU16(bytes, type, spec.etherType);
  return type + 2;
}

/** A whole frame; `padToMinimum` zero-fills to 60 bytes as a sending NIC does. */
export function buildEthernet(spec: EthernetSpec, payload: Uint8Array, padToMinimum = false): Uint8Array {
  const headerLength = ethernetHeaderLength(spec);
  const length = headerLength + payload.length;
  const frame = new Uint8Array(padToMinimum ? Math.max(length, ETH_MIN_FRAME_LENGTH) : length);
  writeEthernet(frame, 0, spec);
  frame.set(payload, headerLength);
  return frame;
}
