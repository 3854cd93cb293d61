// What decodeFrame returns: a frame as a stack of decoded layers. Types only, so the
// decoders' helpers (filter.ts) can use them without importing the decoder walk.
import type { ArpLayer } from './arp.js';
import type { DnsLayer } from './dns.js';
import type { EthernetLayer } from './ethernet.js';
import type { IcmpLayer } from './icmp.js';
import type { Icmpv6Layer } from './icmpv6.js';
import type { Ipv4Layer } from './ipv4.js';
import type { Ipv6Layer } from './ipv6.js';
import type { TcpLayer } from './tcp.js';
import type { DataLayer, MalformedLayer, ProtocolName } from './types.js';
import type { UdpLayer } from './udp.js';
import type { VxlanLayer } from './vxlan.js';

export type DecodedLayer =
  | EthernetLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | IcmpLayer
  | Icmpv6Layer
  | UdpLayer
  | TcpLayer
  | DnsLayer
  | VxlanLayer
  | DataLayer
  | MalformedLayer;

export type LayerOf<P extends ProtocolName> = Extract<DecodedLayer, { protocol: P }>;

export interface DecodedFrame {
  readonly length: number;
  /** Outermost first; a malformed layer, if any, is last. */
  readonly layers: readonly DecodedLayer[];
  /** Info-column line: the summary of the innermost meaningful layer. */
  readonly summary: string;
  /** Layer names joined by ':', like Wireshark's frame.protocols. */
  readonly protocols: string;
  readonly malformed: boolean;
}
