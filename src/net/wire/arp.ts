// ARP for Ethernet and IPv4 (RFC 826), the only kind a Kubernetes lab sees; other sizes are
// refused, not guessed at.
//
//   0 hw type | 2 proto type | 4 hw len | 5 proto len | 6 operation
//   8 sender MAC | 14 sender IP | 18 target MAC | 24 target IP | 28

import { invalid, readIpv4Address, readMac, setU16, truncatedHeader, u16, u8, writeIpv4Address, type WireError } from './bytes.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';

export const ARP_HARDWARE_TYPE = 0;
export const ARP_PROTOCOL_TYPE = 2;
export const ARP_HARDWARE_LENGTH = 4;
export const ARP_PROTOCOL_LENGTH = 5;
export const ARP_OPERATION = 6;
export const ARP_SENDER_MAC = 8;
export const ARP_SENDER_IP = 14;
export const ARP_TARGET_MAC = 18;
export const ARP_TARGET_IP = 24;
export const ARP_PACKET_LENGTH = 28;
/** Enough to see which kind of ARP it is. */
const ARP_FIXED_LENGTH = 8;

export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly operation: number;
  /** Views into the packet, not copies. */
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

export function readArp(bytes: Uint8Array, at = 0, end = bytes.length): ArpPacket | WireError {
  if (end - at < ARP_FIXED_LENGTH) return truncatedHeader(at, end, ARP_PACKET_LENGTH);
  const hardwareType = u16(bytes, at + ARP_HARDWARE_TYPE);
  const protocolType = u16(bytes, at + ARP_PROTOCOL_TYPE);
  const hardwareSize = u8(bytes, at + ARP_HARDWARE_LENGTH);
  const protocolSize = u8(bytes, at + ARP_PROTOCOL_LENGTH);
  if (hardwareSize !== 6 || protocolSize !== 4 || protocolType !== ETHERTYPE_IPV4) {
    const hex = `0x${protocolType.toString(16).padStart(4, '0')}`;
    return invalid(`unsupported ARP (hardware ${hardwareType}/${hardwareSize} bytes, protocol ${hex}/${protocolSize} bytes)`);
  }
  if (end - at < ARP_PACKET_LENGTH) return truncatedHeader(at, end, ARP_PACKET_LENGTH);
  return {
    hardwareType,
    protocolType,
    operation: u16(bytes, at + ARP_OPERATION),
    senderMac: readMac(bytes, at + ARP_SENDER_MAC),
    senderIp: readIpv4Address(bytes, at + ARP_SENDER_IP),
    targetMac: readMac(bytes, at + ARP_TARGET_MAC),
    targetIp: readIpv4Address(bytes, at + ARP_TARGET_IP),
  };
}

export interface ArpSpec {
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  /** All zeros in a request. */
  readonly targetMac?: Uint8Array;
  readonly targetIp: number;
}

export function writeArp(bytes: Uint8Array, at: number, spec: ArpSpec): void {
  setU16(bytes, at + ARP_HARDWARE_TYPE, ARP_HARDWARE_ETHERNET);
  setU16(bytes, at + ARP_PROTOCOL_TYPE, ETHERTYPE_IPV4);
  bytes[at + ARP_HARDWARE_LENGTH] = 6;
  bytes[at + ARP_PROTOCOL_LENGTH] = 4;
  setU16(bytes, at + ARP_OPERATION, spec.operation);
  bytes.set(spec.senderMac.subarray(0, 6), at + ARP_SENDER_MAC);
  writeIpv4Address(bytes, at + ARP_SENDER_IP, spec.senderIp);
  bytes.fill(0, at + ARP_TARGET_MAC, at + ARP_TARGET_IP);
  if (spec.targetMac !== undefined) bytes.set(spec.targetMac.subarray(0, 6), at + ARP_TARGET_MAC);
  writeIpv4Address(bytes, at + ARP_TARGET_IP, spec.targetIp);
}

export function buildArp(spec: ArpSpec): Uint8Array {
  const packet = new Uint8Array(ARP_PACKET_LENGTH);
  writeArp(packet, 0, spec);
  return packet;
}
