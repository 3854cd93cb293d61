// TCP header (RFC 9293) and the options a handshake shows (MSS, window scale).
//
//   0 source port | 2 destination port | 4 sequence | 8 acknowledgment
//   12 data offset (high nibble) | 13 flags | 14 window | 16 checksum | 18 urgent pointer | 20 options…

import { internetChecksum } from '../checksum.js';
import { invalid, setU16, setU32, truncatedHeader, u16, u32, u8, type WireError } from './bytes.js';
import { IP_PROTOCOL_TCP, ipv4PseudoHeaderSum } from './ipv4.js';

export const TCP_SOURCE_PORT = 0;
export const TCP_DESTINATION_PORT = 2;
export const TCP_SEQUENCE = 4;
export const TCP_ACKNOWLEDGMENT = 8;
export const TCP_DATA_OFFSET = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT_POINTER = 18;
export const TCP_MIN_HEADER_LENGTH = 20;

/** Flag bits in byte 13, low to high. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const TCP_OPTION_END = 0;
export const TCP_OPTION_NOP = 1;
export const TCP_OPTION_MSS = 2;
export const TCP_OPTION_WINDOW_SCALE = 3;

export interface TcpOptions {
  readonly mss?: number;
  readonly windowScale?: number;
}

export interface TcpHeader extends TcpOptions {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequence: number;
  readonly acknowledgment: number;
  readonly headerLength: number;
  /** The flag bits (TCP_SYN | TCP_ACK, ...). */
  readonly flags: number;
  readonly window: number;
  readonly checksum: number;
  readonly urgentPointer: number;
}

function readOptions(bytes: Uint8Array, start: number, end: number): TcpOptions {
  const found: { mss?: number; windowScale?: number } = {};
  let at = start;
  while (at < end) {
    const kind = u8(bytes, at);
    if (kind === TCP_OPTION_END) break;
    if (kind === TCP_OPTION_NOP) {
      at++;
      continue;
    }
    const length = u8(bytes, at + 1);
    if (length < 2 || at + length > end) break;
    if (kind === TCP_OPTION_MSS && length === 4) found.mss = u16(bytes, at + 2);
    if (kind === TCP_OPTION_WINDOW_SCALE && length === 3) found.windowScale = u8(bytes, at + 2);
    at += length;
  }
  return found;
}

export function readTcp(bytes: Uint8Array, at = 0, end = bytes.length): TcpHeader | WireError {
  if (end - at < TCP_MIN_HEADER_LENGTH) return truncatedHeader(at, end, TCP_MIN_HEADER_LENGTH);
  const headerLength = (u8(bytes, at + TCP_DATA_OFFSET) >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LENGTH) return invalid(`header length ${headerLength} < 20`);
  if (end - at < headerLength) return truncatedHeader(at, end, headerLength);
  return {
    sourcePort: u16(bytes, at + TCP_SOURCE_PORT),
    destinationPort: u16(bytes, at + TCP_DESTINATION_PORT),
    sequence: u32(bytes, at + TCP_SEQUENCE),
    acknowledgment: u32(bytes, at + TCP_ACKNOWLEDGMENT),
    headerLength,
    flags: u8(bytes, at + TCP_FLAGS),
    window: u16(bytes, at + TCP_WINDOW),
    checksum: u16(bytes, at + TCP_CHECKSUM),
    urgentPointer: u16(bytes, at + TCP_URGENT_POINTER),
    ...readOptions(bytes, at + TCP_MIN_HEADER_LENGTH, at + headerLength),
  };
}

/** The checksum over the IPv4 pseudo-header and the segment at..end. */
export function tcpChecksum(bytes: Uint8Array, at: number, end: number, source: number, destination: number): number {
  return internetChecksum(bytes, at, end, ipv4PseudoHeaderSum(source, destination, IP_PROTOCOL_TCP, end - at));
}

export interface TcpSpec extends TcpOptions {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequence: number;
  readonly acknowledgment?: number;
  readonly flags: number;
  /** Defaults to 64240, Linux's first window. */
  readonly window?: number;
  readonly urgentPointer?: number;
  /** Left 0 unless given: fill it with tcpChecksum once the addresses are known. */
  readonly checksum?: number;
  /** Option bytes as they stand (a multiple of 4), instead of building them from mss and windowScale. */
  readonly rawOptions?: Uint8Array;
}

function optionBytes(spec: TcpSpec): Uint8Array | number[] {
  if (spec.rawOptions !== undefined) return spec.rawOptions;
  const options: number[] = [];
  if (spec.mss !== undefined) options.push(TCP_OPTION_MSS, 4, spec.mss >>> 8, spec.mss & 255);
  if (spec.windowScale !== undefined) options.push(TCP_OPTION_NOP, TCP_OPTION_WINDOW_SCALE, 3, spec.windowScale);
  return options;
}

export function buildTcp(spec: TcpSpec, payload: Uint8Array): Uint8Array {
  const options = optionBytes(spec);
  const headerLength = TCP_MIN_HEADER_LENGTH + options.length;
  const segment = new Uint8Array(headerLength + payload.length);
  setU16(segment, TCP_SOURCE_PORT, spec.sourcePort);
  setU16(segment, TCP_DESTINATION_PORT, spec.destinationPort);
  setU32(segment, TCP_SEQUENCE, spec.sequence);
  setU32(segment, TCP_ACKNOWLEDGMENT, spec.acknowledgment ?? 0);
  segment[TCP_DATA_OFFSET] = (headerLength / 4) << 4;
  segment[TCP_FLAGS] = spec.flags;
  setU16(segment, TCP_WINDOW, spec.window ?? 64240);
  setU16(segment, TCP_CHECKSUM, spec.checksum ?? 0);
  setU16(segment, TCP_URGENT_POINTER, spec.urgentPointer ?? 0);
  segment.set(options, TCP_MIN_HEADER_LENGTH);
  segment.set(payload, headerLength);
  return segment;
}
