// UDP header (RFC 768).
//
//   0 source port | 2 destination port | 4 length (header + payload) | 6 checksum | 8 payload

import { internetChecksum } from '../checksum.js';
import { invalid, setU16, truncatedHeader, u16, type WireError } from './bytes.js';
import { IP_PROTOCOL_UDP, ipv4PseudoHeaderSum } from './ipv4.js';

export const UDP_SOURCE_PORT = 0;
export const UDP_DESTINATION_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LENGTH = 8;

export const UDP_PORT_DNS = 53;
export const UDP_PORT_MDNS = 5353;
/**
 * flannel's udp backend (flannel-io/flannel pkg/backend/udp, defaultPort): flanneld sends each
 * pod packet it reads from its TUN device, flannel0, as the whole payload of one UDP datagram to
 * this port. No header of its own and no inner Ethernet: the payload is the raw IP packet.
 */
export const UDP_PORT_FLANNEL = 8285;

export interface UdpHeader {
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Header plus payload, as declared. */
  readonly length: number;
  readonly checksum: number;
}

export function readUdp(bytes: Uint8Array, at = 0, end = bytes.length): UdpHeader | WireError {
  if (end - at < UDP_HEADER_LENGTH) return truncatedHeader(at, end, UDP_HEADER_LENGTH);
  const length = u16(bytes, at + UDP_LENGTH);
  if (length < UDP_HEADER_LENGTH) return invalid(`length ${length} < 8`);
  return {
    sourcePort: u16(bytes, at + UDP_SOURCE_PORT),
    destinationPort: u16(bytes, at + UDP_DESTINATION_PORT),
    length,
    checksum: u16(bytes, at + UDP_CHECKSUM),
  };
}

/** The checksum over the IPv4 pseudo-header and the datagram at..end; 0 is sent as 0xffff. */
export function udpChecksum(bytes: Uint8Array, at: number, end: number, source: number, destination: number): number {
  const checksum = internetChecksum(bytes, at, end, ipv4PseudoHeaderSum(source, destination, IP_PROTOCOL_UDP, end - at));
  return checksum === 0 ? 0xffff : checksum;
}

export interface UdpSpec {
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** 0 (the default) means "no checksum", which IPv4 allows and VXLAN senders use. */
  readonly checksum?: number;
}

export function writeUdp(bytes: Uint8Array, at: number, spec: UdpSpec, payloadLength: number): number {
  setU16(bytes, at + UDP_SOURCE_PORT, spec.sourcePort);
  setU16(bytes, at + UDP_DESTINATION_PORT, spec.destinationPort);
  setU16(bytes, at + UDP_LENGTH, UDP_HEADER_LENGTH + payloadLength);
  setU16(bytes, at + UDP_CHECKSUM, spec.checksum ?? 0);
  return at + UDP_HEADER_LENGTH;
}

export function buildUdp(spec: UdpSpec, payload: Uint8Array): Uint8Array {
  const datagram = new Uint8Array(UDP_HEADER_LENGTH + payload.length);
  writeUdp(datagram, 0, spec, payload.length);
  datagram.set(payload, UDP_HEADER_LENGTH);
  return datagram;
}
