// TCP header: ports, sequence numbers, flags, window and the handshake-relevant options.

import { malformed, truncatedHeader, u16, u32, u8 } from './read.js';
import type { LayerBase, MalformedLayer, PayloadRange } from './types.js';

export interface TcpFlags {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  readonly ece: boolean;
  readonly cwr: boolean;
}

export interface TcpLayer extends LayerBase, PayloadRange {
  readonly protocol: 'tcp';
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly sequence: number;
  readonly acknowledgment: number;
  readonly flags: TcpFlags;
  /** e.g. "SYN, ACK" or "FIN, PSH, ACK". */
  readonly flagNames: string;
  readonly window: number;
  readonly checksum: number;
  readonly urgentPointer: number;
  readonly mss?: number;
  readonly windowScale?: number;
  readonly payloadLength: number;
}

// Bit order, low to high, which is also how Wireshark lists them ("FIN, PSH, ACK").
const DISPLAY_ORDER: readonly (keyof TcpFlags)[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];

function readOptions(bytes: Uint8Array, start: number, end: number): { mss?: number; windowScale?: number } {
  const found: { mss?: number; windowScale?: number } = {};
  let at = start;
  while (at < end) {
    const kind = u8(bytes, at);
    if (kind === 0) break;
    if (kind === 1) {
      at++;
      continue;
    }
    const length = u8(bytes, at + 1);
    if (length < 2 || at + length > end) break;
    if (kind === 2 && length === 4) found.mss = u16(bytes, at + 2);
    if (kind === 3 && length === 3) found.windowScale = u8(bytes, at + 2);
    at += length;
  }
  return found;
}

export function decodeTcp(bytes: Uint8Array, offset = 0, end = bytes.length): TcpLayer | MalformedLayer {
  if (end - offset < 20) return truncatedHeader('tcp', offset, end, 20);
  const headerLength = (u8(bytes, offset + 12) >>> 4) * 4;
  if (headerLength < 20) return malformed('tcp', offset, end, `header length ${headerLength} < 20`, false);
  if (end - offset < headerLength) return truncatedHeader('tcp', offset, end, headerLength);
  const flagBits = u8(bytes, offset + 13);
  const bit = (n: number): boolean => (flagBits & (1 << n)) !== 0;
  const flags: TcpFlags = { fin: bit(0), syn: bit(1), rst: bit(2), psh: bit(3), ack: bit(4), urg: bit(5), ece: bit(6), cwr: bit(7) };
  const flagNames = DISPLAY_ORDER.filter((name) => flags[name]).map((name) => name.toUpperCase()).join(', ');
  const sourcePort = u16(bytes, offset);
  const destinationPort = u16(bytes, offset + 2);
  const sequence = u32(bytes, offset + 4);
  const acknowledgment = u32(bytes, offset + 8);
  const window = u16(bytes, offset + 14);
  const options = readOptions(bytes, offset + 20, offset + headerLength);
  const payloadLength = end - offset - headerLength;
  const parts = [`${sourcePort} → ${destinationPort} [${flagNames}] Seq=${sequence}`];
  if (flags.ack) parts.push(`Ack=${acknowledgment}`);
  parts.push(`Win=${window}`, `Len=${payloadLength}`);
  if (options.mss !== undefined) parts.push(`MSS=${options.mss}`);
  if (options.windowScale !== undefined) parts.push(`WS=${2 ** options.windowScale}`);
  return {
    protocol: 'tcp',
    offset,
    headerLength,
    payloadOffset: offset + headerLength,
    payloadEnd: end,
    sourcePort,
    destinationPort,
    sequence,
    acknowledgment,
    flags,
    flagNames,
    window,
    checksum: u16(bytes, offset + 16),
    urgentPointer: u16(bytes, offset + 18),
    ...options,
    payloadLength,
    summary: parts.join(' '),
  };
}
