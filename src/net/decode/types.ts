// Shapes shared by every decoder. Layers are plain data so the UI can render them, tests can
// compare them, and they can cross a worker boundary by structured clone.

export type ProtocolName =
  | 'ethernet'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'icmp'
  | 'icmpv6'
  | 'udp'
  | 'tcp'
  | 'dns'
  | 'vxlan'
  | 'data'
  | 'malformed';

export interface LayerBase {
  readonly protocol: ProtocolName;
  /** Where the layer starts in the frame. */
  readonly offset: number;
  readonly headerLength: number;
  /** One line, like Wireshark's Info column. */
  readonly summary: string;
  /** The capture ended before the layer's declared length did; fields present are still valid. */
  readonly truncated?: boolean;
}

/** What a decoder returns instead of throwing: where it gave up and why. */
export interface MalformedLayer extends LayerBase {
  readonly protocol: 'malformed';
  /** The protocol that was being decoded. */
  readonly expected: ProtocolName;
  readonly error: string;
}

/** Bytes no decoder claims, e.g. a TCP payload that is not DNS. */
export interface DataLayer extends LayerBase {
  readonly protocol: 'data';
  readonly length: number;
}

/** A layer that carries another protocol exposes where that payload lies. */
export interface PayloadRange {
  readonly payloadOffset: number;
  /** Exclusive; never past the end of the captured bytes. */
  readonly payloadEnd: number;
}
