// VXLAN (RFC 7348): 8-byte header then a whole Ethernet frame, which index.ts decodes recursively.
// Port 4789 is IANA's; 8472 is the Linux kernel default that flannel uses.

import { isWireError, readVxlan, VXLAN_HEADER_LENGTH } from '../wire/index.js';
import { hex, malformedFrom } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export { VXLAN_PORTS } from '../wire/index.js';

export interface VxlanLayer extends LayerBase, PayloadRange {
  readonly protocol: 'vxlan';
  readonly flags: number;
  /** The I flag: the VNI field is meaningful. */
  readonly vniValid: boolean;
  readonly vni: number;
}

export function decodeVxlan(bytes: Uint8Array, offset = 0, end = bytes.length): VxlanLayer | MalformedLayer {
  const header = readVxlan(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('vxlan', offset, end, header);
  const { flags, vni, vniValid } = header;
  return {
    protocol: 'vxlan',
    offset,
    headerLength: VXLAN_HEADER_LENGTH,
    payloadOffset: offset + VXLAN_HEADER_LENGTH,
    payloadEnd: end,
    flags,
    vniValid,
    vni,
    summary: vniValid ? `VXLAN VNI ${vni}` : `VXLAN VNI ${vni} (I flag not set, flags ${hex(flags, 2)})`,
  };
}
