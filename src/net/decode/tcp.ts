// TCP header: ports, sequence numbers, flags, window and the handshake-relevant options.

import { isWireError, readTcp, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../wire/index.js';
import { malformedFrom } from './read.js';
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

export function decodeTcp(bytes: Uint8Array, offset = 0, end = bytes.length): TcpLayer | MalformedLayer {
  const header = readTcp(bytes, offset, end);
  if (isWireError(header)) return malformedFrom('tcp', offset, end, header);
  const { headerLength, sourcePort, destinationPort, sequence, acknowledgment, window } = header;
  const set = (bit: number): boolean => (header.flags & bit) !== 0;
  const flags: TcpFlags = {
    fin: set(TCP_FIN), syn: set(TCP_SYN), rst: set(TCP_RST), psh: set(TCP_PSH),
    ack: set(TCP_ACK), urg: set(TCP_URG), ece: set(TCP_ECE), cwr: set(TCP_CWR),
  };
  const flagNames = DISPLAY_ORDER.filter((name) => flags[name]).map((name) => name.toUpperCase()).join(', ');
  const options = {
    ...(header.mss === undefined ? {} : { mss: header.mss }),
    ...(header.windowScale === undefined ? {} : { windowScale: header.windowScale }),
  };
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
    checksum: header.checksum,
    urgentPointer: header.urgentPointer,
    ...options,
    payloadLength,
    summary: parts.join(' '),
  };
}
