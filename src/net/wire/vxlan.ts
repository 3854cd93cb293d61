// VXLAN (RFC 7348): an 8-byte header, then a whole Ethernet frame, carried in UDP.
// Port 4789 is IANA's; 8472 is the Linux kernel default that flannel uses.
//
//   0 flags (I = 0x08) | 1–3 reserved | 4–6 VNI | 7 reserved | 8 inner Ethernet frame

import { setU32, truncatedHeader, u32, u8, type WireError } from './bytes.js';

export const VXLAN_FLAGS = 0;
/** The VNI is the top 24 bits of the 32-bit word here. */
export const VXLAN_VNI = 4;
export const VXLAN_HEADER_LENGTH = 8;
/** The I flag: the VNI field is meaningful. */
export const VXLAN_FLAG_VNI_VALID = 0x08;

export const VXLAN_PORT_IANA = 4789;
export const VXLAN_PORT_LINUX = 8472;
export const VXLAN_PORTS: ReadonlySet<number> = new Set([VXLAN_PORT_IANA, VXLAN_PORT_LINUX]);

export interface VxlanHeader {
  readonly flags: number;
  readonly vniValid: boolean;
  readonly vni: number;
}

export function readVxlan(bytes: Uint8Array, at = 0, end = bytes.length): VxlanHeader | WireError {
  if (end - at < VXLAN_HEADER_LENGTH) return truncatedHeader(at, end, VXLAN_HEADER_LENGTH);
  const flags = u8(bytes, at + VXLAN_FLAGS);
  return { flags, vniValid: (flags & VXLAN_FLAG_VNI_VALID) !== 0, vni: u32(bytes, at + VXLAN_VNI) >>> 8 };
}

export interface VxlanSpec {
  readonly vni: number;
  /** Defaults to the I flag alone. */
  readonly flags?: number;
}

export function buildVxlan(spec: VxlanSpec, innerFrame: Uint8Array): Uint8Array {
  const packet = new Uint8Array(VXLAN_HEADER_LENGTH + innerFrame.length);
  packet[VXLAN_FLAGS] = spec.flags ?? VXLAN_FLAG_VNI_VALID;
  setU32(packet, VXLAN_VNI, (spec.vni << 8) >>> 0);
  packet.set(innerFrame, VXLAN_HEADER_LENGTH);
  return packet;
}
