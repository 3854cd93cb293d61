// VXLAN (RFC 7348): 8-byte header then a whole Ethernet frame, which index.ts decodes recursively.
// Port 4789 is IANA's; 8472 is the Linux kernel default that flannel uses.

import { hex, truncatedHeader, u32, u8 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export const VXLAN_PORTS: ReadonlySet<number> = new Set([4789, 8472]);

export interface VxlanLayer extends LayerBase, PayloadRange {
  readonly protocol: 'vxlan';
  readonly flags: number;
  /** The I flag: the VNI field is meaningful. */
  readonly vniValid: boolean;
  readonly vni: number;
}

export function decodeVxlan(bytes: Uint8Array, offset = 0, end = bytes.length): VxlanLayer | MalformedLayer {
  if (end - offset < 8) return truncatedHeader('vxlan', offset, end, 8);
  const flags = u8(bytes, offset);
  const vni = u32(bytes, offset + 4) >>> 8;
  const vniValid = (flags & 0x08) !== 0;
  return {
    protocol: 'vxlan',
    offset,
    headerLength: 8,
    payloadOffset: offset + 8,
    payloadEnd: end,
    flags,
    vniValid,
    vni,
    summary: vniValid ? `VXLAN VNI ${vni}` : `VXLAN VNI ${vni} (I flag not set, flags ${hex(flags, 2)})`,
  };
}
